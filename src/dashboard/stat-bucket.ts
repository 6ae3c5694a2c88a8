import { bucketIndex, bucketQuantile } from '../telemetry/bucket-quantile.js';
import { LATENCY_BUCKETS_MS } from '../telemetry/metric-names.js';
import { validationFacts, type RequestFacts } from '../telemetry/request-facts.js';

/**
 * What a stretch of time saw, as sums alone: latencies as bucket counts on
 * the metrics' own bounds, so quantiles are added up rather than sorted and
 * come out as PromQL's `histogram_quantile` would compute them.
 */
export interface StatBucket {
  requests: number;
  /** Requests answered with an error. */
  errors: number;
  /** One count per latency bound, the last for above the highest. */
  latencyCounts: Uint32Array;
  costUsd: number;
  /** Judged answers of contract requests, as `ai.schema.validation_result` counts them. */
  valid: number;
  repaired: number;
  invalid: number;
  fallbacks: number;
  cacheHits: number;
  cacheLookups: number;
}

export const LATENCY_BOUNDS_MS: readonly number[] = LATENCY_BUCKETS_MS;

export function emptyBucket(): StatBucket {
  return {
    requests: 0,
    errors: 0,
    latencyCounts: new Uint32Array(LATENCY_BOUNDS_MS.length + 1),
    costUsd: 0,
    valid: 0,
    repaired: 0,
    invalid: 0,
    fallbacks: 0,
    cacheHits: 0,
    cacheLookups: 0,
  };
}

/** Empties a bucket in place, so the ring reuses its arrays. */
export function resetBucket(bucket: StatBucket): void {
  bucket.requests = 0;
  bucket.errors = 0;
  bucket.latencyCounts.fill(0);
  bucket.costUsd = 0;
  bucket.valid = 0;
  bucket.repaired = 0;
  bucket.invalid = 0;
  bucket.fallbacks = 0;
  bucket.cacheHits = 0;
  bucket.cacheLookups = 0;
}

/** Adds one finished request. */
export function addFacts(bucket: StatBucket, facts: RequestFacts): void {
  bucket.requests += 1;
  if (facts.outcome !== 'success') bucket.errors += 1;
  bucket.latencyCounts[bucketIndex(facts.latencyMs, LATENCY_BOUNDS_MS)]! += 1;
  bucket.costUsd += facts.costUsd;
  for (const verdict of validationFacts(facts)) bucket[verdict.status] += 1;
  if (facts.fallback) bucket.fallbacks += 1;
  if (facts.cacheHit !== undefined) {
    bucket.cacheLookups += 1;
    if (facts.cacheHit) bucket.cacheHits += 1;
  }
}

/** Adds `source` into `target`. */
export function mergeBucket(target: StatBucket, source: StatBucket): void {
  target.requests += source.requests;
  target.errors += source.errors;
  for (let i = 0; i < source.latencyCounts.length; i++) {
    target.latencyCounts[i]! += source.latencyCounts[i]!;
  }
  target.costUsd += source.costUsd;
  target.valid += source.valid;
  target.repaired += source.repaired;
  target.invalid += source.invalid;
  target.fallbacks += source.fallbacks;
  target.cacheHits += source.cacheHits;
  target.cacheLookups += source.cacheLookups;
}

/** p50, p95 and p99 in ms; null when the bucket holds no request. */
export interface LatencyQuantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export function latencyQuantiles(bucket: StatBucket): LatencyQuantiles {
  const at = (q: number) =>
    bucketQuantile({ counts: bucket.latencyCounts, boundaries: LATENCY_BOUNDS_MS, q }) ?? null;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** The share of judged answers that passed their schema (repaired ones did); null with none. */
export function validationSuccessRatio(bucket: StatBucket): number | null {
  const judged = bucket.valid + bucket.repaired + bucket.invalid;
  return judged === 0 ? null : (bucket.valid + bucket.repaired) / judged;
}

/** `part / whole`, or null when there is no whole. */
export function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
