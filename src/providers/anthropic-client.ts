import type { Dispatcher } from 'undici';
import { contentText } from '../cost/estimate-tokens.js';
import type { StreamResult } from '../streaming/stream-events.js';
import { streamAnthropic } from './anthropic-stream.js';
import { classifyHttpError, parseErrorBody } from './classify-http-error.js';
import { postJson } from './post-json.js';
import type {
  AttemptResult,
  ChatMessage,
  CompletionRequest,
  FinishReason,
  JsonSchema,
  ProviderClient,
  Usage,
} from './types.js';
import { checkedUsage } from './checked-usage.js';

export interface AnthropicClientOptions {
  /** Base URL without `/v1`, e.g. `https://api.anthropic.com`. */
  baseUrl: string;
  apiKey: string | undefined;
  dispatcher: Dispatcher;
  now: () => number;
}

export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * A client for the Anthropic Messages API. Structured output is asked for
 * the way Anthropic supports it everywhere: a single tool whose input schema
 * is the contract, with `tool_choice` forcing the model to call it.
 */
export class AnthropicClient implements ProviderClient {
  readonly kind = 'anthropic' as const;
  readonly #options: AnthropicClientOptions;

  constructor(options: AnthropicClientOptions) {
    this.#options = options;
  }

  async complete(request: CompletionRequest): Promise<AttemptResult> {
    const { baseUrl, apiKey, dispatcher, now } = this.#options;
    const headers = anthropicHeaders(request, apiKey);
    const { body, wrapped } = buildAnthropicBody(request);
    const response = await postJson({
      dispatcher,
      url: `${baseUrl}/v1/messages`,
      headers,
      body,
      timeouts: request.timeouts,
      signal: request.signal,
      deadlineAtMs: request.deadlineAtMs,
      now,
    });
    if ('kind' in response) return response;
    if (response.status < 200 || response.status >= 300) {
      return classifyHttpError(response, parseErrorBody(response));
    }
    return parseMessage(Object.assign({}, response, { wrapped }));
  }

  /** The same attempt as a stream of events; see `streamAnthropic`. */
  stream(request: CompletionRequest): Promise<StreamResult> {
    return streamAnthropic(Object.assign({}, this.#options, { request }));
  }
}

const TOOL_NAME = 'emit_result';

/**
 * Anthropic tools take an object schema; a contract whose root is anything
 * else is wrapped in `{ result: … }` and unwrapped from the answer.
 */
export function buildAnthropicBody(request: CompletionRequest): {
  body: Record<string, unknown>;
  wrapped: boolean;
} {
  const system = request.messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => contentText(m.content))
    .join('\n\n');
  const body: Record<string, unknown> = Object.assign({}, anthropicSampling(request.sampling), {
    model: request.model,
    max_tokens: request.maxTokens,
    messages: toAnthropicMessages(request.messages),
  });
  if (system) body.system = system;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  const output = request.structuredOutput;
  if (!output) return { body, wrapped: false };

  const wrapped = !isObjectSchema(output.schema);
  const inputSchema = wrapped
    ? { type: 'object', properties: { result: output.schema }, required: ['result'] }
    : output.schema;
  body.tools = [
    {
      name: TOOL_NAME,
      description: `Return the ${output.name} result.`,
      input_schema: inputSchema,
    },
  ];
  body.tool_choice = { type: 'tool', name: TOOL_NAME };
  return { body, wrapped };
}

/** The OpenAI sampling parameters Anthropic has an equivalent for. */
function anthropicSampling(sampling: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!sampling) return out;
  if (sampling.top_p !== undefined) out.top_p = sampling.top_p;
  if (sampling.top_k !== undefined) out.top_k = sampling.top_k;
  const stop = sampling.stop;
  if (typeof stop === 'string') out.stop_sequences = [stop];
  else if (Array.isArray(stop)) out.stop_sequences = stop;
  if (typeof sampling.user === 'string') out.metadata = { user_id: sampling.user };
  return out;
}

function isObjectSchema(schema: JsonSchema): boolean {
  return typeof schema === 'object' && schema.type === 'object';
}

/** Anthropic wants alternating user/assistant turns; same-role runs are merged. */
function toAnthropicMessages(messages: ChatMessage[]): Array<{ role: string; content: string }> {
  const out: Array<{ role: string; content: string }> = [];
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const text = contentText(message.content);
    const last = out[out.length - 1];
    if (last && last.role === role) last.content += `\n\n${text}`;
    else out.push({ role, content: text });
  }
  return out;
}

interface AnthropicMessage {
  id?: string;
  content?: Array<{ type: string; text?: string; input?: unknown }>;
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** Anthropic's input_tokens already exclude cache reads and writes. */
export function normaliseAnthropicUsage(usage: AnthropicUsage | undefined): Usage | null {
  if (!usage || typeof usage.input_tokens !== 'number') return null;
  return checkedUsage({
    inputTokens: usage.input_tokens,
    cachedInputTokens: usage.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
    outputTokens: usage.output_tokens ?? 0,
    reasoningTokens: 0,
  });
}

const STOP: Record<string, FinishReason> = {
  end_turn: 'stop',
  tool_use: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  refusal: 'refusal',
};

function parseMessage(options: {
  text: string;
  headers: Record<string, string>;
  latencyMs: number;
  wrapped: boolean;
}): AttemptResult {
  const { headers, latencyMs } = options;
  const bad = (why: string): AttemptResult => ({
    kind: 'failure',
    reason: 'bad_response',
    retryable: true,
    message: why,
    headers,
    latencyMs,
  });
  let message: AnthropicMessage;
  try {
    message = JSON.parse(options.text);
  } catch {
    return bad('upstream answered 2xx with a body that is not JSON');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return bad('upstream answered 2xx with JSON that is not a message object');
  }
  const blocks: unknown = message.content ?? [];
  if (!Array.isArray(blocks)) return bad('upstream answered content that is not an array');
  const wellFormed = blocks.every(
    (b) =>
      typeof b === 'object' &&
      b !== null &&
      (b.type !== 'text' || b.text === undefined || typeof b.text === 'string'),
  );
  if (!wellFormed) return bad('upstream answered a content block that is not well formed');
  const typed = blocks as NonNullable<AnthropicMessage['content']>;
  const tool = typed.find((b) => b.type === 'tool_use');
  let text = typed
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('');
  if (tool) {
    const input = options.wrapped ? (tool.input as { result?: unknown })?.result : tool.input;
    text = JSON.stringify(input ?? null);
  }
  const finishReason = STOP[message.stop_reason ?? ''] ?? 'unknown';
  return {
    kind: 'completion',
    text,
    finishReason,
    ...(finishReason === 'refusal' ? { refusal: text || 'the model declined to answer' } : {}),
    usage: normaliseAnthropicUsage(message.usage),
    headers,
    latencyMs,
    ...(message.id ? { upstreamId: message.id } : {}),
  };
}

/** The headers of a Messages API call, streamed or not: version and key. */
export function anthropicHeaders(
  request: CompletionRequest,
  apiKey: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = Object.assign({}, request.headers, {
    'anthropic-version': ANTHROPIC_VERSION,
  });
  if (apiKey) headers['x-api-key'] = apiKey;
  return headers;
}
