import Database from 'better-sqlite3';
import {
  toGroup,
  toNumber,
  toUsage,
  UNKNOWN_NAME,
  type AggregateRow,
  type AuditAggregates,
  type AuditReader,
  REQUEST_SUMS_SQL,
} from './audit-reader.js';

const RANGE = 'r.time_ms >= @fromMs AND r.time_ms < @toMs';

const REQUEST_SUMS = REQUEST_SUMS_SQL;

const ATTEMPT_SUMS = `
  count(DISTINCT a.request_id) AS requests,
  count(*) AS attempts,
  sum(coalesce(a.input_tokens, 0)) AS input_tokens,
  sum(coalesce(a.cached_input_tokens, 0)) AS cached_input_tokens,
  sum(coalesce(a.cache_write_tokens, 0)) AS cache_write_tokens,
  sum(coalesce(a.output_tokens, 0)) AS output_tokens,
  sum(coalesce(a.reasoning_tokens, 0)) AS reasoning_tokens,
  sum(a.cost_usd) AS cost_usd`;

interface TotalsRow extends AggregateRow {
  fallbacks: number | null;
  cache_hits: number | null;
  errors: number | null;
}

/** Aggregates of a SQLite audit log, read without taking the writer's lock. */
export class SqliteAuditReader implements AuditReader {
  readonly #db: Database.Database;

  constructor(options: { path: string }) {
    this.#db = new Database(options.path, { readonly: true, fileMustExist: true });
  }

  async aggregate(range: { fromMs: number; toMs: number }): Promise<AuditAggregates> {
    const totals = this.#db
      .prepare<[typeof range], TotalsRow>(
        `SELECT ${REQUEST_SUMS}, sum(r.fallback) AS fallbacks, sum(r.cache_hit) AS cache_hits,
           sum(r.error_type IS NOT NULL) AS errors
         FROM requests r WHERE ${RANGE}`,
      )
      .get(range)!;
    const byTaskType = this.#db
      .prepare<[typeof range], AggregateRow>(
        `SELECT r.task_type AS name, ${REQUEST_SUMS} FROM requests r WHERE ${RANGE}
         GROUP BY r.task_type`,
      )
      .all(range);
    const byAttempt = (column: 'tier' | 'model') =>
      this.#db
        .prepare<[typeof range], AggregateRow>(
          `SELECT a.${column} AS name, ${ATTEMPT_SUMS}
           FROM attempts a JOIN requests r ON r.request_id = a.request_id
           WHERE ${RANGE} GROUP BY a.${column}`,
        )
        .all(range);
    const withoutUsage = this.#db
      .prepare<[typeof range], { cost_usd: number | null }>(
        `SELECT sum(a.cost_usd) AS cost_usd
         FROM attempts a JOIN requests r ON r.request_id = a.request_id
         WHERE ${RANGE} AND a.input_tokens IS NULL`,
      )
      .get(range)!;
    return {
      totals: {
        ...toUsage(totals),
        fallbacks: toNumber(totals.fallbacks),
        cacheHits: toNumber(totals.cache_hits),
        errors: toNumber(totals.errors),
      },
      costWithoutUsageUsd: toNumber(withoutUsage.cost_usd),
      byTier: byAttempt('tier').map((row) => toGroup(row, UNKNOWN_NAME)),
      byModel: byAttempt('model').map((row) => toGroup(row, UNKNOWN_NAME)),
      byTaskType: byTaskType.map((row) => toGroup(row, UNKNOWN_NAME)),
    };
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
