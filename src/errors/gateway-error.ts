/**
 * The one error hierarchy of Switchyard. Every error that can reach a client
 * carries a stable string `type` (also its `code`) and an HTTP status; only
 * `toErrorResponse` in the server turns one into a response.
 */
export type ErrorType =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'schema_violation'
  | 'refusal'
  | 'cost_cap_exceeded'
  | 'budget_exceeded'
  | 'rate_limited'
  | 'overloaded'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'client_closed'
  | 'internal_error';

const STATUS: Record<ErrorType, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  schema_violation: 422,
  refusal: 422,
  cost_cap_exceeded: 402,
  budget_exceeded: 402,
  rate_limited: 429,
  overloaded: 503,
  upstream_error: 502,
  upstream_timeout: 504,
  // nginx's "client closed request": never sent, since nobody is left to read
  // it, but it keeps a disconnect apart from bad input in logs and the audit.
  client_closed: 499,
  internal_error: 500,
};

export interface GatewayErrorOptions {
  cause?: unknown;
  /** Extra structured fields copied into the error body (never secrets). */
  details?: Record<string, unknown>;
  /** Seconds for a `retry-after` response header. */
  retryAfterSeconds?: number;
}

export class GatewayError extends Error {
  readonly type: ErrorType;
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly retryAfterSeconds: number | undefined;

  constructor(type: ErrorType, message: string, options: GatewayErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'GatewayError';
    this.type = type;
    this.status = STATUS[type];
    this.details = options.details ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get code(): ErrorType {
    return this.type;
  }
}

/** A request the client got wrong; `field` is the JSON path of the culprit. */
export function invalidRequest(field: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `${field}: ${message}`, { details: { field } });
}
