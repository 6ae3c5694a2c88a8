import type { FinishReason, Usage } from '../providers/types.js';
import type { RouteSuccess } from '../routing/route-engine.js';

/**
 * One answer as the response cache keeps it: enough to answer a later equal
 * request the way the first one was answered, as plain JSON.
 *
 * Only successes go in: for a request with a contract that means output that
 * passed the contract; errors, refusals and failed validations are never
 * cached, so a retry always reaches a model.
 */
export interface CachedResponse {
  /** The model that actually answered; the entry is stored under it. */
  model: string;
  tier: string;
  deploymentId: string;
  text: string;
  /** The validated payload when the request had a contract; absent without one. */
  payload?: unknown;
  repaired: boolean;
  finishReason: FinishReason;
  usage: Usage | null;
  /** What the original request cost; serving it from the cache costs nothing. */
  originalCostUsd: number;
  /** Epoch ms at which the answer was stored. */
  storedAtMs: number;
}

/** The cache entry for a successful route result. */
export function toCachedResponse(result: RouteSuccess, options: { nowMs: number }): CachedResponse {
  return {
    model: result.deployment.model,
    tier: result.deployment.tier,
    deploymentId: result.deployment.id,
    text: result.text,
    payload: result.payload,
    repaired: result.repaired,
    finishReason: result.finishReason,
    usage: result.usage,
    originalCostUsd: result.costUsd,
    storedAtMs: options.nowMs,
  };
}

const FINISH_REASONS = new Set<string>([
  'stop',
  'length',
  'refusal',
  'tool_calls',
  'content_filter',
  'unknown',
]);

const USAGE_FIELDS = [
  'inputTokens',
  'cachedInputTokens',
  'cacheWriteTokens',
  'outputTokens',
  'reasoningTokens',
] as const;

/**
 * Whether a value read back from a shared store is a cached response, so a
 * corrupt entry, or one written by another version, is a miss and not a crash.
 */
export function isCachedResponse(value: unknown): value is CachedResponse {
  if (typeof value !== 'object' || value === null) return false;

  const r = value as Record<string, unknown>;
  return (
    typeof r['model'] === 'string' &&
    typeof r['tier'] === 'string' &&
    typeof r['deploymentId'] === 'string' &&
    typeof r['text'] === 'string' &&
    typeof r['repaired'] === 'boolean' &&
    typeof r['finishReason'] === 'string' &&
    FINISH_REASONS.has(r['finishReason']) &&
    (r['usage'] === null || isUsage(r['usage'])) &&
    Number.isFinite(r['originalCostUsd']) &&
    Number.isFinite(r['storedAtMs'])
  );
}

function isUsage(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return USAGE_FIELDS.every((field) => Number.isFinite(record[field]));
}
