import pg from 'pg';
import { SCHEMA_NAME_PATTERN } from '../audit/audit-config.js';
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

// Partition pruning keeps a month's report to that month's partitions.
const RANGE =
  'r.request_time >= to_timestamp($1 / 1000.0) AND r.request_time < to_timestamp($2 / 1000.0)';

const REQUEST_SUMS = REQUEST_SUMS_SQL;

const ATTEMPT_SUMS = `
  count(DISTINCT r.request_id) AS requests,
  count(*) AS attempts,
  sum(coalesce((a->>'input_tokens')::bigint, 0)) AS input_tokens,
  sum(coalesce((a->>'cached_input_tokens')::bigint, 0)) AS cached_input_tokens,
  sum(coalesce((a->>'cache_write_tokens')::bigint, 0)) AS cache_write_tokens,
  sum(coalesce((a->>'output_tokens')::bigint, 0)) AS output_tokens,
  sum(coalesce((a->>'reasoning_tokens')::bigint, 0)) AS reasoning_tokens,
  sum((a->>'cost_usd')::numeric) AS cost_usd`;

interface TotalsRow extends AggregateRow {
  fallbacks: string | null;
  cache_hits: string | null;
  errors: string | null;
}

/** Aggregates of a PostgreSQL audit log; attempts are unnested from their JSONB array. */
export class PostgresAuditReader implements AuditReader {
  readonly #pool: pg.Pool;
  readonly #schema: string;

  constructor(options: { url: string; schema: string; connectTimeoutMs?: number }) {
    if (!new RegExp(SCHEMA_NAME_PATTERN).test(options.schema)) {
      throw new Error(`audit schema name "${options.schema}" is not a plain lower-case identifier`);
    }
    this.#schema = `"${options.schema}"`;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: 1,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: 'switchyard-report',
    });
    this.#pool.on('error', () => undefined);
  }

  async aggregate(range: { fromMs: number; toMs: number }): Promise<AuditAggregates> {
    const params = [range.fromMs, range.toMs];
    const requests = `${this.#schema}.requests r`;
    const attempts = `${requests} CROSS JOIN LATERAL jsonb_array_elements(r.attempts) a`;
    const totals = await this.#one<TotalsRow>(
      `SELECT ${REQUEST_SUMS}, count(*) FILTER (WHERE r.fallback) AS fallbacks,
         count(*) FILTER (WHERE r.cache_hit) AS cache_hits,
         count(*) FILTER (WHERE r.error_type IS NOT NULL) AS errors
       FROM ${requests} WHERE ${RANGE}`,
      params,
    );
    const byTaskType = await this.#all(
      `SELECT r.task_type AS name, ${REQUEST_SUMS} FROM ${requests} WHERE ${RANGE}
       GROUP BY r.task_type`,
      params,
    );
    const byTier = await this.#all(
      `SELECT a->>'tier' AS name, ${ATTEMPT_SUMS} FROM ${attempts} WHERE ${RANGE} GROUP BY 1`,
      params,
    );
    const byModel = await this.#all(
      `SELECT a->>'model' AS name, ${ATTEMPT_SUMS} FROM ${attempts} WHERE ${RANGE} GROUP BY 1`,
      params,
    );
    const withoutUsage = await this.#one<{ cost_usd: string | null }>(
      `SELECT sum((a->>'cost_usd')::numeric) AS cost_usd FROM ${attempts}
       WHERE ${RANGE} AND a->>'input_tokens' IS NULL`,
      params,
    );
    return {
      totals: {
        ...toUsage(totals),
        fallbacks: toNumber(totals.fallbacks),
        cacheHits: toNumber(totals.cache_hits),
        errors: toNumber(totals.errors),
      },
      costWithoutUsageUsd: toNumber(withoutUsage.cost_usd),
      byTier: byTier.map((row) => toGroup(row, UNKNOWN_NAME)),
      byModel: byModel.map((row) => toGroup(row, UNKNOWN_NAME)),
      byTaskType: byTaskType.map((row) => toGroup(row, UNKNOWN_NAME)),
    };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #all(sql: string, params: number[]): Promise<AggregateRow[]> {
    return (await this.#pool.query<AggregateRow>(sql, params)).rows;
  }

  async #one<T extends object>(sql: string, params: number[]): Promise<T> {
    const { rows } = await this.#pool.query<T & pg.QueryResultRow>(sql, params);
    return rows[0]!;
  }
}
