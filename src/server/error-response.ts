import type { ServerResponse } from 'node:http';
import { GatewayError } from '../errors/gateway-error.js';

/** The one place an error becomes an HTTP response. */
export function toErrorResponse(
  error: unknown,
  requestId: string,
): {
  status: number;
  body: { error: Record<string, unknown> };
  headers: Record<string, string>;
} {
  const known =
    error instanceof GatewayError
      ? error
      : new GatewayError('internal_error', 'internal error', { cause: error });
  const headers: Record<string, string> = {};
  if (known.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(known.retryAfterSeconds);
  // RFC 9110: a 405 names the methods the path does take.
  const allowed = known.details.allowed_methods;
  if (known.type === 'method_not_allowed' && Array.isArray(allowed))
    headers.allow = allowed.join(', ');
  return {
    status: known.status,
    // `code` mirrors `type` so OpenAI SDKs, which read `error.code`, see it too.
    body: {
      error: Object.assign({}, known.details, {
        type: known.type,
        code: known.type,
        message: known.message,
        request_id: requestId,
      }),
    },
    headers,
  };
}

export function sendJson(
  response: ServerResponse,
  options: { status: number; body: unknown; headers?: Record<string, string> },
): void {
  const text = JSON.stringify(options.body);
  response.writeHead(options.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...options.headers,
  });
  response.end(text);
}
