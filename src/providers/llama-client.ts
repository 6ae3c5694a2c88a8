import type { LlamaGrammar } from 'node-llama-cpp';
import type { ChatHistoryItem } from 'node-llama-cpp';
import { toLlamaChatHistory } from './llama-chat-history.js';
import { LlamaGrammarCache } from './llama-grammar-cache.js';
import { LeasePool, LeasePoolClosedError } from './llama-lease-pool.js';
import {
  disposeLlamaRuntime,
  loadLlamaRuntime,
  type LoadLlamaRuntimeOptions,
  type LlamaRuntime,
  type LlamaSlot,
} from './llama-runtime.js';
import { toLlamaSampling, type LlamaSampling } from './llama-sampling.js';
import { withSchemaInstructions } from './structured-prompt.js';
import type {
  AttemptResult,
  Completion,
  CompletionRequest,
  Failure,
  FailureReason,
  FinishReason,
  ProviderClient,
} from './types.js';
import { linkedAbortSignal } from '../resilience/light-abort.js';

export { LlamaLoadError, type LlamaLoadErrorCode } from './llama-runtime.js';

export interface LlamaClientOptions {
  /** Path of the GGUF model file. */
  modelPath: string;
  /**
   * Tokens one attempt may hold, prompt and answer together; default 4096,
   * capped at the size the model was trained with.
   */
  contextSizeTokens?: number;
  /** CPU threads llama.cpp decodes with; default 2, so HTTP work keeps a core. */
  threads?: number;
  /**
   * Attempts decoded at once, each on its own context sequence of
   * `contextSizeTokens`; default 1. Further attempts wait their turn.
   */
  sequences?: number;
  logger?: LoadLlamaRuntimeOptions['logger'];
  now?: () => number;
  /** Loads node-llama-cpp; tests replace it to play a machine without it. */
  importModule?: LoadLlamaRuntimeOptions['importModule'];
}

/** What one attempt decodes: the request, checked and in node-llama-cpp's terms. */
interface PreparedAttempt {
  history: ChatHistoryItem[];
  grammar: LlamaGrammar | undefined;
  sampling: LlamaSampling;
  promptTokens: number;
  maxTokens: number;
}

interface Decoded {
  text: string;
  finishReason: FinishReason;
  outputTokens: number;
}

const FINISH: Record<string, FinishReason> = {
  eogToken: 'stop',
  stopGenerationTrigger: 'stop',
  customStopTrigger: 'stop',
  maxTokens: 'length',
  functionCalls: 'tool_calls',
};

/**
 * An in-process provider: a GGUF model run by llama.cpp through the optional
 * package node-llama-cpp, on the CPU. It is the local fallback tier, serving
 * when every hosted provider is down, without a network. Structured output is
 * decoded under a grammar built from the contract's JSON Schema, so the answer
 * has the schema's shape token by token, and the schema is also put in the
 * prompt so the model knows what the fields mean.
 *
 * Like the HTTP clients it never throws for a failed attempt: an abort, a
 * timeout, an oversized prompt or a llama.cpp error comes back as a `Failure`.
 * Usage is counted with the model's own tokenizer; there is no prompt cache,
 * so cached tokens are always 0 and every attempt evaluates its whole prompt.
 * `request.model` is not looked at: one client serves the one model it loaded.
 */
export class LlamaClient implements Omit<ProviderClient, 'kind'> {
  readonly kind = 'llama' as const;
  readonly #runtime: LlamaRuntime;
  readonly #pool: LeasePool<LlamaSlot>;
  readonly #grammars: LlamaGrammarCache;
  readonly #now: () => number;
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;

  private constructor(runtime: LlamaRuntime, now: () => number) {
    this.#runtime = runtime;
    this.#pool = new LeasePool(runtime.slots);
    this.#grammars = new LlamaGrammarCache({ llama: runtime.llama });
    this.#now = now;
  }

  /**
   * Loads node-llama-cpp, llama.cpp and the model; takes about a second for a
   * small model. Throws a `LlamaLoadError` when the package, its prebuilt
   * binary or the model file is missing, so start-up can say which.
   */
  static async load(options: LlamaClientOptions): Promise<LlamaClient> {
    const runtime = await loadLlamaRuntime({
      modelPath: options.modelPath,
      contextSizeTokens: options.contextSizeTokens ?? 4096,
      threads: options.threads ?? 2,
      sequences: options.sequences ?? 1,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.importModule ? { importModule: options.importModule } : {}),
    });
    return new LlamaClient(runtime, options.now ?? Date.now);
  }

  /** Tokens one attempt may hold, after the cap at the model's trained size. */
  get contextSizeTokens(): number {
    return this.#runtime.contextSizeTokens;
  }

  async complete(request: CompletionRequest): Promise<AttemptResult> {
    const started = this.#now();
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), request.timeouts.totalMs);
    // node-llama-cpp gets Node's own signal; the request's is a light one.
    const { signal, unlink } = linkedAbortSignal([
      request.signal,
      timer.signal,
      this.#closing.signal,
    ]);
    try {
      const prepared = await this.#prepare(request);
      if ('kind' in prepared)
        return Object.assign({}, prepared, { latencyMs: this.#now() - started });
      const decoded = await this.#decodeInTurn(prepared, signal);
      return this.#completion({ prepared, decoded, started });
    } catch (error) {
      const timedOut = timer.signal.aborted;
      return this.#interrupted({ error, request, timedOut, started });
    } finally {
      clearTimeout(timeout);
      unlink();
    }
  }

  /**
   * Stops the attempts in progress (they end as `connection` failures, which
   * the engine may retry elsewhere), waits for them, then frees the model.
   * Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(new Error('the llama provider was closed'));
      await this.#pool.close();
      await disposeLlamaRuntime(this.#runtime);
    })();
    return this.#closed;
  }

  /** Checks the request and builds what decoding needs, or says why not. */
  async #prepare(
    request: CompletionRequest,
  ): Promise<PreparedAttempt | Omit<Failure, 'latencyMs'>> {
    if (this.#closing.signal.aborted) throw new LeasePoolClosedError();
    if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
      // node-llama-cpp reads a maxTokens of 0 as "no limit".
      return failure('invalid_request', `maxTokens must be a positive integer`);
    }
    const output = request.structuredOutput;
    const messages = output ? withSchemaInstructions(request.messages, output) : request.messages;
    const chat = toLlamaChatHistory(messages);
    if (!chat.ok) return failure('invalid_request', chat.message);

    const promptTokens = this.#countPromptTokens(chat.history);
    const roomTokens = this.contextSizeTokens - promptTokens;
    if (roomTokens < 1) {
      return failure(
        'context_length',
        `the prompt is ${promptTokens} tokens and the local model's context holds ` +
          `${this.contextSizeTokens}`,
      );
    }

    let grammar: LlamaGrammar | undefined;
    if (output) {
      try {
        grammar = await this.#grammars.get(output.schema);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        return failure(
          'invalid_request',
          `the llama provider cannot build a grammar from schema "${output.name}": ${detail}`,
        );
      }
    }
    // Capping the answer at the room left keeps node-llama-cpp from shifting
    // the context, which would silently drop the start of the prompt.
    const maxTokens = Math.min(request.maxTokens, roomTokens);
    return {
      history: chat.history,
      grammar,
      sampling: toLlamaSampling(request),
      promptTokens,
      maxTokens,
    };
  }

  /**
   * The prompt as the chat wrapper renders it, template and BOS token
   * included, counted by the model's tokenizer: exactly the tokens the model
   * evaluates before its first answer token.
   */
  #countPromptTokens(history: ChatHistoryItem[]): number {
    const { chatWrapper, model } = this.#runtime;
    const { contextText } = chatWrapper.generateContextState({ chatHistory: history });
    return contextText.tokenize(model.tokenizer).length;
  }

  /** Waits for a free sequence, then decodes on it alone. */
  async #decodeInTurn(prepared: PreparedAttempt, signal: AbortSignal): Promise<Decoded> {
    const slot = await this.#pool.acquire(signal);
    try {
      return await decode({ slot, prepared, signal });
    } finally {
      this.#pool.release(slot);
    }
  }

  #completion(options: {
    prepared: PreparedAttempt;
    decoded: Decoded;
    started: number;
  }): Completion {
    const { prepared, decoded } = options;
    return {
      kind: 'completion',
      text: decoded.text,
      finishReason: decoded.finishReason,
      usage: {
        inputTokens: prepared.promptTokens,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: decoded.outputTokens,
        reasoningTokens: 0,
      },
      headers: {},
      latencyMs: this.#now() - options.started,
    };
  }

  /** An attempt that threw: aborted, timed out, closed, or llama.cpp failed. */
  #interrupted(options: {
    error: unknown;
    request: CompletionRequest;
    timedOut: boolean;
    started: number;
  }): Failure {
    const { error, request } = options;
    const latencyMs = this.#now() - options.started;
    // The caller's own abort wins: the engine decides whether it was the
    // client going away or the request deadline passing.
    if (request.signal.aborted) {
      return Object.assign({}, failure('aborted', 'attempt aborted'), { latencyMs });
    }
    if (options.timedOut) {
      const message = `the local model did not finish within ${request.timeouts.totalMs} ms`;
      return Object.assign({}, failure('timeout', message), { latencyMs });
    }
    if (this.#closing.signal.aborted || error instanceof LeasePoolClosedError) {
      return Object.assign({}, failure('connection', 'the llama provider was closed'), {
        latencyMs,
      });
    }
    const detail = error instanceof Error ? error.message : String(error);
    return Object.assign({}, failure('server_error', `llama.cpp failed: ${detail}`), { latencyMs });
  }
}

/**
 * Decodes one answer on a sequence this attempt holds alone. The sequence is
 * emptied first, so what an earlier attempt left (an aborted one included)
 * cannot leak into this one. Output tokens are the tokens sampled, read off
 * the sequence's token meter: that counts the newlines a JSON grammar ends
 * with, which the returned text leaves out. The meter files a token as
 * output when its logits are computed, so it counts the prompt's last token
 * as output and never sees the last sampled token (not fed back); the two
 * cancel for output, but its input count is one short of the prompt, which
 * is why input tokens come from `#countPromptTokens` instead.
 */
async function decode(options: {
  slot: LlamaSlot;
  prepared: PreparedAttempt;
  signal: AbortSignal;
}): Promise<Decoded> {
  const { slot, prepared, signal } = options;
  await slot.sequence.clearHistory();
  const before = slot.sequence.tokenMeter.usedOutputTokens;
  const response = await slot.chat.generateResponse(
    prepared.history,
    Object.assign({}, prepared.sampling, {
      maxTokens: prepared.maxTokens,
      signal,
      ...(prepared.grammar ? { grammar: prepared.grammar } : {}),
    }),
  );
  return {
    text: response.response,
    finishReason: FINISH[response.metadata.stopReason] ?? 'unknown',
    outputTokens: slot.sequence.tokenMeter.usedOutputTokens - before,
  };
}

const RETRYABLE: Record<FailureReason, boolean> = {
  connection: true,
  timeout: true,
  rate_limited: true,
  server_error: true,
  overloaded: true,
  bad_response: true,
  context_length: true,
  invalid_request: false,
  auth: false,
  not_found: false,
  aborted: false,
};

function failure(reason: FailureReason, message: string): Omit<Failure, 'latencyMs'> {
  return { kind: 'failure', reason, retryable: RETRYABLE[reason], message, headers: {} };
}
