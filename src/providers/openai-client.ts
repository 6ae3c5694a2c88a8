import type { Dispatcher } from 'undici';
import type { StreamResult } from '../streaming/stream-events.js';
import { classifyHttpError, parseErrorBody } from './classify-http-error.js';
import { streamOpenAi } from './openai-stream.js';
import { postJson } from './post-json.js';
import { withSchemaInstructions } from './structured-prompt.js';
import type {
  AttemptResult,
  CompletionRequest,
  FinishReason,
  ProviderClient,
  Usage,
} from './types.js';
import { checkedUsage } from './checked-usage.js';

export interface OpenAiClientOptions {
  /** Base URL including `/v1`, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey: string | undefined;
  dispatcher: Dispatcher;
  /** Whether to send `json_schema` (else JSON mode with the schema in a prompt). */
  jsonSchema: boolean;
  /** Models that take no temperature and want `max_completion_tokens`. */
  isReasoningModel: (model: string) => boolean;
  now: () => number;
}

/**
 * A client for the OpenAI Chat Completions API and the servers that copy it
 * (vLLM, llama.cpp server, Ollama's /v1).
 */
export class OpenAiClient implements ProviderClient {
  readonly kind = 'openai' as const;
  readonly #options: OpenAiClientOptions;

  constructor(options: OpenAiClientOptions) {
    this.#options = options;
  }

  async complete(request: CompletionRequest): Promise<AttemptResult> {
    const { baseUrl, apiKey, dispatcher, now } = this.#options;
    const response = await postJson({
      dispatcher,
      url: `${baseUrl}/chat/completions`,
      headers: openAiHeaders(request.headers, apiKey),
      body: this.buildBody(request),
      timeouts: request.timeouts,
      signal: request.signal,
      deadlineAtMs: request.deadlineAtMs,
      now,
    });
    if ('kind' in response) return response;
    if (response.status < 200 || response.status >= 300) {
      return classifyHttpError(response, parseErrorBody(response));
    }
    return parseCompletion(response.text, response.headers, response.latencyMs);
  }

  /** The same attempt as a stream of events; see `streamOpenAi`. */
  stream(request: CompletionRequest): Promise<StreamResult> {
    return streamOpenAi(Object.assign({}, this.#options, { request }));
  }

  buildBody(request: CompletionRequest): Record<string, unknown> {
    const reasoning = this.#options.isReasoningModel(request.model);
    const output = request.structuredOutput;
    const native = output !== undefined && this.#options.jsonSchema;
    const body: Record<string, unknown> = Object.assign({}, request.sampling, {
      model: request.model,
      messages:
        output && !native ? withSchemaInstructions(request.messages, output) : request.messages,
    });
    // Reasoning models reject `max_tokens` and any temperature but the default.
    if (reasoning) body.max_completion_tokens = request.maxTokens;
    else body.max_tokens = request.maxTokens;
    if (!reasoning && request.temperature !== undefined) body.temperature = request.temperature;
    if (native) {
      body.response_format = {
        type: 'json_schema',
        json_schema: { name: output.name, schema: output.schema, strict: output.strict },
      };
    } else if (output) {
      body.response_format = { type: 'json_object' };
    }
    return body;
  }
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** The forwarded headers, with the provider key as a bearer token when there is one. */
export function openAiHeaders(
  forwarded: Record<string, string> | undefined,
  apiKey: string | undefined,
): Record<string, string> {
  return Object.assign({}, forwarded, apiKey ? { authorization: `Bearer ${apiKey}` } : undefined);
}

/** OpenAI usage → ours: prompt tokens include the cached ones, split them out. */
export function normaliseOpenAiUsage(usage: OpenAiUsage | null | undefined): Usage | null {
  if (!usage || typeof usage.prompt_tokens !== 'number') return null;
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  if (cached > usage.prompt_tokens) return null; // counts that contradict each other
  return checkedUsage({
    inputTokens: usage.prompt_tokens - cached,
    cachedInputTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: usage.completion_tokens ?? 0,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  });
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

function parseCompletion(
  text: string,
  headers: Record<string, string>,
  latencyMs: number,
): AttemptResult {
  const bad = (message: string): AttemptResult => ({
    kind: 'failure',
    reason: 'bad_response',
    retryable: true,
    message,
    headers,
    latencyMs,
  });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return bad('upstream answered 2xx with a body that is not JSON');
  }
  const { id, choices, usage } = isRecord(body) ? body : {};
  if (choices !== undefined && !Array.isArray(choices)) {
    return bad('upstream answered with choices that are not an array');
  }
  const choice: unknown = choices?.[0];
  // Seen in the wild (and scriptable in the simulator): a 200 with no choices.
  if (choice === undefined) return bad('upstream answered with an empty choices array');
  const message = isRecord(choice) ? choice.message : undefined;
  if (!isRecord(message)) return bad('upstream answered a choice without a message');
  const content = message.content ?? '';
  if (typeof content !== 'string') {
    return bad(`upstream answered message.content as ${typeof content}, not a string`);
  }
  const refusal = message.refusal ?? undefined;
  if (refusal !== undefined && typeof refusal !== 'string') {
    return bad(`upstream answered message.refusal as ${typeof refusal}, not a string`);
  }
  const finish =
    isRecord(choice) && typeof choice.finish_reason === 'string' ? choice.finish_reason : '';
  return {
    kind: 'completion',
    text: content,
    finishReason: refusal ? 'refusal' : (FINISH[finish] ?? 'unknown'),
    ...(refusal ? { refusal } : {}),
    usage: normaliseOpenAiUsage(isRecord(usage) ? (usage as OpenAiUsage) : undefined),
    headers,
    latencyMs,
    ...(typeof id === 'string' && id !== '' ? { upstreamId: id } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
