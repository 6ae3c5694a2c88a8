import { GatewayError } from '../errors/gateway-error.js';
import type { Failure } from '../providers/types.js';

/** The client-facing error for an upstream failure, keeping its status and reason. */
export function upstreamError(failure: Failure, retryAfterMs: number | undefined): GatewayError {
  const details = {
    reason: failure.reason,
    ...(failure.status !== undefined ? { upstream_status: failure.status } : {}),
  };
  if (failure.reason === 'timeout') {
    return new GatewayError('upstream_timeout', failure.message, { details });
  }
  if (failure.reason === 'rate_limited') {
    return new GatewayError('rate_limited', failure.message, {
      details,
      ...(retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) } : {}),
    });
  }
  return new GatewayError('upstream_error', failure.message, { details });
}

export function deadlinePassed(deadlineMs: number): GatewayError {
  return new GatewayError('upstream_timeout', `the request deadline of ${deadlineMs} ms passed`);
}

export function clientGone(): GatewayError {
  return new GatewayError('client_closed', 'the client closed the connection');
}

/** Every deployment refused the request before any attempt: say why, per deployment. */
export function nothingAvailable(refusals: Map<string, string>): GatewayError {
  const reasons = [...refusals.entries()].map(([id, reason]) => `${id}: ${reason}`);
  const message =
    reasons.length === 0
      ? 'no deployment can serve this request'
      : `no deployment can serve this request (${reasons.join('; ')})`;
  return new GatewayError('overloaded', message, {
    details: { refused: Object.fromEntries(refusals) },
  });
}
