import type { ServerResponse } from 'node:http';
import type { FinishReason, Usage } from '../providers/types.js';

export interface OpenAiSseWriterOptions {
  response: ServerResponse;
  /** The gateway's request id; every chunk's id is `chatcmpl-<requestId>`. */
  requestId: string;
  /** Whether the client sent `stream_options: { include_usage: true }`. */
  includeUsage: boolean;
  /** Epoch milliseconds, read once for `created`. Default Date.now. */
  now?: () => number;
}

export interface StreamStartOptions {
  /** The model every chunk names: the deployment that answers. */
  model: string;
  /** Extra response headers, e.g. x-request-id and x-switchyard-model. */
  headers?: Record<string, string>;
}

/** OpenAI's finish reasons; ours that it lacks end as a plain `stop`, as a refusal does there. */
const OPENAI_FINISH: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
  refusal: 'stop',
  unknown: 'stop',
};

/**
 * Writes a chat completion to a client as OpenAI streams it, so that any
 * OpenAI SDK reads it unchanged: `chat.completion.chunk` frames (a role
 * chunk, content chunks, a chunk with the finish reason), then, when the
 * client asked for `include_usage`, a chunk with no choices and the usage
 * (every other chunk then says `usage: null`, as OpenAI's do), then
 * `data: [DONE]`.
 *
 * Each method resolves once its bytes are handed to the socket; when the
 * socket's buffer is full it waits for `drain`, so a slow client slows the
 * upstream read instead of growing memory. Await each call before the next.
 * Once the client has gone, every method returns without writing; check
 * `closed` to stop reading upstream.
 */
export class OpenAiSseWriter {
  readonly #response: ServerResponse;
  readonly #id: string;
  readonly #includeUsage: boolean;
  readonly #createdS: number;
  #model = '';
  #started = false;
  #gone = false;

  constructor(options: OpenAiSseWriterOptions) {
    this.#response = options.response;
    this.#id = `chatcmpl-${options.requestId}`;
    this.#includeUsage = options.includeUsage;
    this.#createdS = Math.floor((options.now ?? Date.now)() / 1000);
    this.#response.once('close', () => {
      this.#gone = true;
    });
  }

  /** True once the status line and the role chunk are written. */
  get started(): boolean {
    return this.#started;
  }

  /** True when the client has gone or the stream has ended; writes are then dropped. */
  get closed(): boolean {
    return this.#gone || this.#response.writableEnded || this.#response.destroyed;
  }

  /** True when the client disconnected before the response was complete. */
  get clientGone(): boolean {
    return this.#gone && !this.#response.writableFinished;
  }

  /** Sends the status line, the headers and the role chunk; the response is committed. */
  async start(options: StreamStartOptions): Promise<void> {
    if (this.#started || this.closed) return;
    this.#started = true;
    this.#model = options.model;
    this.#response.writeHead(
      200,
      Object.assign({}, options.headers, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      }),
    );
    await this.#write(this.#delta({ role: 'assistant', content: '', refusal: null }));
  }

  async text(text: string): Promise<void> {
    if (text !== '') await this.#write(this.#delta({ content: text }));
  }

  /** A piece of a refusal, which OpenAI streams apart from the content. */
  async refusal(text: string): Promise<void> {
    if (text !== '') await this.#write(this.#delta({ refusal: text }));
  }

  /**
   * Writes the finish chunk, the usage chunk if the client asked for it,
   * and `[DONE]`, and ends the response. Without usage from the provider no
   * usage chunk is written, so a client sees none rather than zeros.
   */
  async finish(options: { finishReason: FinishReason; usage: Usage | null }): Promise<void> {
    const finishReason = OPENAI_FINISH[options.finishReason];
    const choice = { index: 0, delta: {}, logprobs: null, finish_reason: finishReason };
    let frames = this.#frame([choice]);
    if (this.#includeUsage && options.usage) {
      frames += this.#frame([], toOpenAiUsage(options.usage));
    }
    await this.#write(`${frames}data: [DONE]\n\n`);
    this.#end();
  }

  /**
   * Reports a failure after the stream started, the way OpenAI does: a data
   * line holding an error object and no `[DONE]`; OpenAI SDKs throw it. An
   * error before any content should rather be an ordinary JSON error
   * response; called before `start`, this starts the stream first.
   */
  async error(options: { message: string; type: string }): Promise<void> {
    if (!this.#started) await this.start({ model: this.#model });
    const { message, type } = options;
    const body = { error: { message, type, code: type, param: null } };
    await this.#write(`data: ${JSON.stringify(body)}\n\n`);
    this.#end();
  }

  #delta(delta: Record<string, unknown>): string {
    return this.#frame([{ index: 0, delta, logprobs: null, finish_reason: null }]);
  }

  #frame(choices: unknown[], usage: Record<string, unknown> | null = null): string {
    const chunk = {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#createdS,
      model: this.#model,
      system_fingerprint: null,
      choices,
      ...(this.#includeUsage ? { usage } : {}),
    };
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  async #write(text: string): Promise<void> {
    if (this.closed) return;
    if (this.#response.write(text)) return;
    await this.#drained();
  }

  #drained(): Promise<void> {
    const response = this.#response;
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.on('drain', done);
      response.on('close', done);
    });
  }

  #end(): void {
    if (!this.closed) this.#response.end();
  }
}

/** Our usage in OpenAI's shape: prompt tokens include cached and cache-written ones. */
export function toOpenAiUsage(usage: Usage): Record<string, unknown> {
  const promptTokens = usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: promptTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}
