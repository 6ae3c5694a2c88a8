import type { TokenCounts } from '../audit/audit-record.js';

/** Requests, attempts, tokens and cost of one slice of the audit log. */
export interface UsageTotals {
  requests: number;
  attempts: number;
  tokens: TokenCounts;
  costUsd: number;
}

/** A tier's, model's or task type's share. */
export interface GroupTotals extends UsageTotals {
  name: string;
}

/**
 * What the cost report needs from the audit log, for requests with
 * `fromMs <= time < toMs`. Tier and model groups count attempts: a request
 * that escalated appears under both tiers, and `requests` there is the
 * number of distinct requests with an attempt in the group. Task types
 * count requests. Costs add up to the same total either way.
 */
export interface AuditAggregates {
  totals: UsageTotals & { fallbacks: number; cacheHits: number; errors: number };
  /** The cost of attempts that reported no token usage (estimated, or zero). */
  costWithoutUsageUsd: number;
  byTier: GroupTotals[];
  byModel: GroupTotals[];
  byTaskType: GroupTotals[];
}

/** Reads aggregates out of an audit log; SQLite and PostgreSQL implement it. */
export interface AuditReader {
  aggregate(range: { fromMs: number; toMs: number }): Promise<AuditAggregates>;
  close(): Promise<void>;
}

/** The shape both readers' SQL returns, with numbers that may come back as strings. */
export interface AggregateRow {
  name?: string | null;
  requests: number | string | null;
  attempts: number | string | null;
  input_tokens: number | string | null;
  cached_input_tokens: number | string | null;
  cache_write_tokens: number | string | null;
  output_tokens: number | string | null;
  reasoning_tokens: number | string | null;
  cost_usd: number | string | null;
}

/** PostgreSQL returns bigint and numeric sums as strings; NULL sums are zero. */
export function toNumber(value: number | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

export function toGroup(row: AggregateRow, fallbackName: string): GroupTotals {
  return { name: row.name ?? fallbackName, ...toUsage(row) };
}

export function toUsage(row: AggregateRow): UsageTotals {
  return {
    requests: toNumber(row.requests),
    attempts: toNumber(row.attempts),
    tokens: {
      inputTokens: toNumber(row.input_tokens),
      cachedInputTokens: toNumber(row.cached_input_tokens),
      cacheWriteTokens: toNumber(row.cache_write_tokens),
      outputTokens: toNumber(row.output_tokens),
      reasoningTokens: toNumber(row.reasoning_tokens),
    },
    costUsd: toNumber(row.cost_usd),
  };
}

/** The name a request without a task type is reported under. */
export const UNKNOWN_NAME = '(none)';

/** The request-level sums both SQL readers select, over rows aliased `r`. */
export const REQUEST_SUMS_SQL = `
  count(*) AS requests,
  sum(r.attempt_count) AS attempts,
  sum(r.input_tokens) AS input_tokens,
  sum(r.cached_input_tokens) AS cached_input_tokens,
  sum(r.cache_write_tokens) AS cache_write_tokens,
  sum(r.output_tokens) AS output_tokens,
  sum(r.reasoning_tokens) AS reasoning_tokens,
  sum(r.cost_usd) AS cost_usd`;
