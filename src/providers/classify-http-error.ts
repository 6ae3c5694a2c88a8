import type { Failure, FailureReason } from './types.js';
import type { RawResponse } from './post-json.js';

export interface ErrorBody {
  message: string;
  type?: string;
  code?: string;
}

/**
 * Turns a non-2xx upstream answer into a typed failure. Which errors are worth
 * another try follows the providers' own guidance: 408, 409, 429, 5xx and
 * Anthropic's 529 are transient; an HTML body (a proxy or load balancer page
 * rather than the API) is treated as transient whatever its status.
 */
export function classifyHttpError(response: RawResponse, body: ErrorBody | undefined): Failure {
  const { status } = response;
  const message = body?.message ?? `upstream answered ${status} with a non-JSON body`;
  const fail = (reason: FailureReason, retryable: boolean, extra?: Partial<Failure>): Failure => ({
    kind: 'failure',
    reason,
    retryable,
    message,
    status,
    headers: response.headers,
    latencyMs: response.latencyMs,
    ...extra,
  });

  if (!body) return fail('bad_response', true);
  if (status === 429) {
    const tooLarge = /request too large|larger than|exceeds? the (rate )?limit/i.test(message);
    return fail('rate_limited', true, tooLarge ? { requestTooLarge: true } : undefined);
  }
  if (status === 529 || body.type === 'overloaded_error') return fail('overloaded', true);
  if (status === 408 || status === 409 || status >= 500) {
    return fail(status === 408 ? 'timeout' : 'server_error', true);
  }
  if (isContextLengthError(body)) return fail('context_length', false);
  if (status === 401 || status === 403) return fail('auth', false);
  if (status === 404) return fail('not_found', false);
  return fail('invalid_request', false);
}

function isContextLengthError(body: ErrorBody): boolean {
  if (body.code === 'context_length_exceeded') return true;
  return /context length|context window|prompt is too long|maximum context/i.test(body.message);
}

/** Reads `{ error: { message, type, code } }` (both providers use this nesting). */
export function parseErrorBody(response: RawResponse): ErrorBody | undefined {
  const type = response.headers['content-type'] ?? '';
  if (type.includes('text/html') || /^\s*</.test(response.text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.text);
  } catch {
    return undefined;
  }
  const error = (parsed as { error?: unknown } | null)?.error;
  if (!error || typeof error !== 'object') return undefined;
  const e = error as Record<string, unknown>;
  return {
    message: typeof e.message === 'string' ? redactUpstreamMessage(e.message) : 'upstream error',
    ...(typeof e.type === 'string' ? { type: e.type } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
  };
}

/**
 * Upstream error messages reach our callers (in the error and in each
 * attempt), so what identifies our account goes first: OpenAI's 401 quotes
 * the key's prefix and last characters, and 429s name the organisation.
 */
export function redactUpstreamMessage(message: string): string {
  return (
    message
      // Whatever the case: some proxies upper-case what they quote.
      .replace(/\b(sk|rk|pk)-[A-Za-z0-9_*\-]{4,}/gi, '[redacted key]')
      .replace(
        /\b(org|proj)-[A-Za-z0-9_\-]{4,}/gi,
        (_, kind: string) => `[redacted ${kind.toLowerCase()}]`,
      )
      .replace(/\b(Bearer)\s+[A-Za-z0-9_\-.=]{8,}/gi, '$1 [redacted]')
      // A quoted Basic header, or any base64 run that decodes to a key.
      .replace(/[A-Za-z0-9+/]{24,}={0,2}/g, (run) =>
        /\b(sk|rk|pk)-/i.test(Buffer.from(run, 'base64').toString('latin1')) ? '[redacted]' : run,
      )
  );
}
