import type { GatewayConfig } from '../config/config-types.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Failure } from '../providers/types.js';
import type { Refusal, Walk } from './walk.js';

/** The client-facing error for an upstream failure, keeping its status and reason. */
export function upstreamError(failure: Failure, retryAfterMs: number | undefined): GatewayError {
  const details = {
    reason: failure.reason,
    ...(failure.status !== undefined ? { upstream_status: failure.status } : {}),
  };
  // The provider judged the request itself malformed or too long: the
  // client's to change, though each deployment was given its chance first.
  if (failure.reason === 'invalid_request' || failure.reason === 'context_length') {
    return new GatewayError(
      'invalid_request',
      `the provider refused the request: ${failure.message}`,
      {
        details,
      },
    );
  }
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
export function nothingAvailable(refusals: Map<string, Refusal>): GatewayError {
  const reasons = [...refusals.entries()].map(([id, { reason }]) => `${id}: ${reason}`);
  const message =
    reasons.length === 0
      ? 'no deployment can serve this request'
      : `no deployment can serve this request (${reasons.join('; ')})`;
  return new GatewayError('overloaded', message, {
    details: { refused: reasonsById(refusals) },
  });
}

/**
 * When every deployment was passed over for the request's size alone, the
 * error to give: no retry can help, so it is the client's to change (400),
 * not an overload (503). It names `max_tokens` when the prompt would fit some
 * deployment without the output asked for, else the prompt.
 */
export function refusedForSize(walk: Walk, config: GatewayConfig): GatewayError | undefined {
  const refusals = [...walk.refusals.values()];
  if (refusals.length === 0 || !refusals.every((r) => r.tooLarge)) return undefined;
  const tokens = walk.estimatedTokens;
  const promptFits = Object.values(config.tiers)
    .flat()
    .filter((d) => walk.refusals.get(d.id)?.tooLarge)
    .some(
      (d) =>
        (d.maxPromptTokens === undefined || tokens <= d.maxPromptTokens) &&
        (d.contextWindow === undefined || tokens < d.contextWindow),
    );
  const field = promptFits ? 'max_tokens' : 'messages';
  const what = promptFits
    ? `${walk.job.maxTokens} output tokens with this prompt fit no deployment's context window`
    : 'the prompt is larger than any deployment takes';
  return new GatewayError('invalid_request', `${field}: ${what}`, {
    details: { field, refused: reasonsById(walk.refusals) },
  });
}

/**
 * When every deployment was passed over because its rate limit is spent,
 * the client is told so (429) with when to come back: the soonest any of
 * those limits ends. A 503 would say the gateway is overloaded, and give no
 * time.
 */
export function refusedForRateLimits(walk: Walk, nowMs: number): GatewayError | undefined {
  const untils = [...walk.refusals.values()].map((r) => r.retryAtMs);
  if (untils.length === 0 || untils.some((until) => until === undefined)) return undefined;
  const soonestMs = Math.min(...(untils as number[]));
  const waitMs = Math.max(0, soonestMs - nowMs);
  return new GatewayError(
    'rate_limited',
    `every deployment is rate-limited; the first is free again in ${Math.ceil(waitMs / 1000)} s`,
    {
      details: { refused: reasonsById(walk.refusals) },
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
    },
  );
}

/**
 * The error for a request no deployment is left to try, most specific
 * reason first: the cost cap, the last attempt's error (with what was passed
 * over), a size or rate limit every deployment shares, else what each said.
 */
export function giveUpError(walk: Walk, config: GatewayConfig, nowMs: number): GatewayError {
  if (walk.costCapHit) {
    const made = walk.attempts.filter((a) => a.outcome !== 'skipped_cost_cap').length;
    return new GatewayError(
      'cost_cap_exceeded',
      made === 0
        ? `max_cost_usd: no attempt fits the cost cap of $${walk.job.maxCostUsd}`
        : `max_cost_usd: the next attempt would pass the cost cap of $${walk.job.maxCostUsd}`,
      {
        details: {
          field: 'max_cost_usd',
          max_cost_usd: walk.job.maxCostUsd,
          ...(walk.lastError ? { last_error: walk.lastError.message } : {}),
        },
      },
    );
  }
  if (walk.lastError) {
    if (walk.refusals.size > 0) walk.lastError.details.passed_over = reasonsById(walk.refusals);
    return walk.lastError;
  }
  const refused =
    walk.attempts.length === 0
      ? (refusedForSize(walk, config) ?? refusedForRateLimits(walk, nowMs))
      : undefined;
  return refused ?? nothingAvailable(walk.refusals);
}

/** Each passed-over deployment's reason, as error bodies give them. */
function reasonsById(refusals: Map<string, Refusal>): Record<string, string> {
  return Object.fromEntries([...refusals].map(([id, { reason }]) => [id, reason]));
}
