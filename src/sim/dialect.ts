import type { IncomingHttpHeaders } from 'node:http';
import type { OutputSpec, Reply } from './compose-reply.js';
import type { RateHeaderOverrides } from './rate-limit-headers.js';
import type { RateLimitSnapshot } from './rate-limit-window.js';
import type { ScenarioPlan } from './scenario-plan.js';

/**
 * What one provider API (OpenAI Chat Completions, Anthropic Messages) must
 * supply to the shared request pipeline: how it reads a request, and how it
 * writes replies, streams and errors on the wire.
 */
export interface Dialect {
  readonly name: 'openai' | 'anthropic';
  /** The context window reported by the context_length fault. */
  readonly contextWindowTokens: number;
  /** The response header carrying the request id. */
  readonly requestIdHeader: string;
  newRequestId(newId: NewId): string;
  /** An error when credentials or required headers are missing. */
  checkHeaders(headers: IncomingHttpHeaders): ErrorSpec | undefined;
  /** The request, or the 400 the real API gives for this body. */
  parse(rawBody: string): ChatRequest | ErrorSpec;
  error(spec: ErrorSpec, requestId: string): ErrorReply;
  rateHeaders(options: {
    snapshot: RateLimitSnapshot;
    nowMs: number;
    overrides?: RateHeaderOverrides;
  }): Record<string, string>;
  /** Headers the API sends on every response besides rate limits and the request id. */
  extraHeaders(options: { processingMs: number }): Record<string, string>;
  /** The non-streaming success body. */
  body(context: ReplyContext): unknown;
  /** The SSE frames of a streamed success, faults of the plan included. */
  streamFrames(context: ReplyContext): StreamFrame[];
}

/** Builds an id from a prefix and a count of random characters. */
export type NewId = (prefix: string, length: number) => string;

/** A completion request as the pipeline needs it, whichever API it came in. */
export interface ChatRequest {
  model: string;
  /** All prompt tokens, cached ones included. */
  promptTokens: number;
  /** All prompt text, which seeds the deterministic reply. */
  promptText: string;
  output: OutputSpec;
  maxTokens?: number;
  stream: boolean;
  /** OpenAI's `stream_options.include_usage`. */
  includeUsage: boolean;
}

/** Everything a dialect needs to write a reply. */
export interface ReplyContext {
  request: ChatRequest;
  reply: Reply;
  plan: ScenarioPlan;
  newId: NewId;
  nowMs: number;
  /** Prompt tokens served from cache, at most the prompt. */
  cachedTokens: number;
}

/** One SSE frame as written, or the point where the socket is destroyed. */
export type StreamFrame = string | { drop: true };

/** An error reply in API-neutral terms; each dialect words it as its API does. */
export type ErrorSpec =
  | { kind: 'invalid_request'; message: string; param?: string | null; code?: string | null }
  | { kind: 'missing_key' }
  | { kind: 'invalid_key' }
  | { kind: 'missing_version' }
  | {
      kind: 'rate_limited';
      model: string;
      resource: 'requests' | 'tokens';
      limit: number;
      used: number;
      requested: number;
      retryAfterMs: number;
    }
  | { kind: 'request_too_large'; model: string; limit: number; requested: number }
  | { kind: 'server_error' }
  | { kind: 'unavailable' }
  | { kind: 'overloaded' }
  | { kind: 'context_length'; limit: number; requested: number }
  | { kind: 'not_found'; method: string; path: string }
  | { kind: 'payload_too_large' };

/** A status and JSON body. */
export interface ErrorReply {
  status: number;
  body: unknown;
}

/** Formats one SSE frame, with an `event:` line when given a name. */
export function sseFrame(data: unknown, event?: string): string {
  const prefix = event === undefined ? '' : `event: ${event}\n`;
  return `${prefix}data: ${JSON.stringify(data)}\n\n`;
}

/**
 * Cuts streamed text into pieces of about three words, as token streams
 * arrive; JSON (with few spaces) is cut every 12 code points instead.
 */
export function chunkText(text: string): string[] {
  if (text.length === 0) return [];
  const words = text.match(/\S+\s*|\s+/g) ?? [text];
  const pieces: string[] = [];
  for (let index = 0; index < words.length; index += 3) {
    pieces.push(words.slice(index, index + 3).join(''));
  }
  return pieces.flatMap((piece) => {
    const codePoints = Array.from(piece);
    if (codePoints.length <= 24) return [piece];
    const parts: string[] = [];
    for (let index = 0; index < codePoints.length; index += 12) {
      parts.push(codePoints.slice(index, index + 12).join(''));
    }
    return parts;
  });
}

/** Tells a parsed output mode from an error met while reading it. */
export function isOutputSpec(value: OutputSpec | ErrorSpec): value is OutputSpec {
  return value.kind === 'text' || value.kind === 'json' || value.kind === 'tool';
}
