/**
 * The contract between the routing engine and provider clients. A provider
 * client turns one attempt into one `AttemptResult`; it never throws for an
 * upstream failure, so the engine can keep every attempt's outcome.
 */

/** An OpenAI-style chat message; content may be a string or content parts. */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | ContentPart[] | null;
  name?: string;
  tool_call_id?: string;
  tool_calls?: unknown[];
}

export interface ContentPart {
  type: string;
  text?: string;
  [key: string]: unknown;
}

/** A JSON Schema document; kept opaque here, Ajv owns its meaning. */
export type JsonSchema = Record<string, unknown> | boolean;

export interface StructuredOutput {
  /** A name for the schema, `^[a-zA-Z0-9_-]{1,64}$` as OpenAI requires. */
  name: string;
  schema: JsonSchema;
  /** Whether the schema meets OpenAI's strict-mode subset. */
  strict: boolean;
}

export interface AttemptTimeouts {
  connectMs: number;
  /** Time allowed until the response headers arrive. */
  firstByteMs: number;
  totalMs: number;
}

export interface CompletionRequest {
  /** The provider's model name, e.g. `gpt-4o-mini-2024-07-18`. */
  model: string;
  messages: ChatMessage[];
  /** Ask for output matching this schema the provider's native way. */
  structuredOutput?: StructuredOutput;
  maxTokens: number;
  temperature?: number;
  /** Other sampling parameters passed through untouched (top_p, seed, stop, …). */
  sampling?: Record<string, unknown>;
  timeouts: AttemptTimeouts;
  /** Aborts the attempt: a client disconnect, the request deadline. */
  signal: AbortSignal;
  /**
   * Epoch ms at which `signal` aborts for the request's deadline, when it
   * does: an attempt whose own total timeout ends later needs no timer of
   * its own.
   */
  deadlineAtMs?: number | undefined;
  /** Extra headers for the upstream request (e.g. the simulator's scenario). */
  headers?: Record<string, string>;
}

/** Token usage normalised across providers. */
export interface Usage {
  /** Prompt tokens billed at the full input rate (cached ones excluded). */
  inputTokens: number;
  /** Prompt tokens served from the provider's prompt cache. */
  cachedInputTokens: number;
  /** Prompt tokens written to the prompt cache (Anthropic bills these apart). */
  cacheWriteTokens: number;
  /** All generated tokens, reasoning included, as billed. */
  outputTokens: number;
  /** The part of `outputTokens` spent on hidden reasoning; informational. */
  reasoningTokens: number;
}

export type FinishReason =
  'stop' | 'length' | 'refusal' | 'tool_calls' | 'content_filter' | 'unknown';

export interface Completion {
  kind: 'completion';
  /** The message text, or the JSON text of a forced tool call's input. */
  text: string;
  finishReason: FinishReason;
  /** Set when the model refused; `text` is then empty or the refusal itself. */
  refusal?: string;
  /** Null when the provider sent none; cost is then unknown, not zero. */
  usage: Usage | null;
  /** Response headers, lower-cased, for rate-limit tracking. */
  headers: Record<string, string>;
  /** Milliseconds from sending to the whole body read. */
  latencyMs: number;
  /** The provider's own response id. */
  upstreamId?: string;
}

export type FailureReason =
  | 'connection'
  | 'timeout'
  | 'rate_limited'
  | 'server_error'
  | 'overloaded'
  | 'bad_response'
  | 'context_length'
  | 'invalid_request'
  | 'auth'
  | 'not_found'
  | 'aborted';

export interface Failure {
  kind: 'failure';
  reason: FailureReason;
  /** Whether another try, here or elsewhere, may succeed. */
  retryable: boolean;
  message: string;
  /** HTTP status when the upstream answered. */
  status?: number;
  /** The wait the upstream asked for (retry-after-ms / retry-after). */
  retryAfterMs?: number;
  /** A 429 that says this request alone is larger than the limit. */
  requestTooLarge?: boolean;
  headers: Record<string, string>;
  latencyMs: number;
}

export type AttemptResult = Completion | Failure;

/** One upstream, such as OpenAI, Anthropic or a vLLM server. */
export interface ProviderClient {
  readonly kind: 'openai' | 'anthropic' | 'llama';
  complete(request: CompletionRequest): Promise<AttemptResult>;
}
