import pg from 'pg';
import type { Logger } from '../logging/logger.js';
import { SCHEMA_NAME_PATTERN } from './audit-config.js';
import type { AuditAttempt, AuditRecord } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';
import { inTransaction, migratePostgres } from './postgres-migrations.js';
import { addMonths, monthKey, monthOf, monthStartMs, type UtcMonth } from './utc-month.js';

export interface PostgresAuditSinkOptions {
  /** A `postgres://` URL. */
  url: string;
  /** The schema for the audit tables; a plain lower-case identifier. */
  schema: string;
  /** Monthly partitions kept ready beyond the current one. Default 2. */
  partitionsAhead?: number;
  poolSize?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  logger: Logger;
  now?: () => number;
}

// PostgreSQL's code when a row fits no partition (a partition was dropped).
const NO_PARTITION_FOR_ROW = '23514';

const RECORD_COLUMNS = `
  request_id text, request_time timestamptz, api_key_id text, task_type text, tier text,
  model text, endpoint text, status_code smallint, latency_ms double precision,
  cost_usd numeric, input_tokens bigint, cached_input_tokens bigint,
  cache_write_tokens bigint, output_tokens bigint, reasoning_tokens bigint,
  attempt_count smallint, attempts jsonb, schema_valid boolean, repaired boolean,
  cache_hit boolean, fallback boolean, error_type text, metadata jsonb, prompt jsonb,
  output text`;

const COLUMN_NAMES = RECORD_COLUMNS.split(',')
  .map((column) => column.trim().split(/\s+/)[0])
  .join(', ');

/**
 * The audit log in PostgreSQL, for several gateway replicas. `requests` is
 * partitioned by month on the request time, so old months can be dropped
 * whole; partitions for the current month and the next `partitionsAhead`
 * are made on the first write and checked again before every batch, as are
 * those of any older or later month a batch reaches.
 *
 * Nothing connects until the first write, so the gateway starts while the
 * database is down; the writer spools and retries until it is back. There
 * is deliberately no default partition: rows in it would block creating the
 * month's real partition later.
 *
 * Old partitions are never dropped here; retention is `DROP TABLE
 * <schema>.requests_YYYY_MM` of the months no longer wanted.
 */
export class PostgresAuditSink implements AuditSink {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #lockKey: string;
  readonly #partitionsAhead: number;
  readonly #now: () => number;
  readonly #knownMonths = new Set<string>();
  #migrated = false;

  constructor(options: PostgresAuditSinkOptions) {
    if (!new RegExp(SCHEMA_NAME_PATTERN).test(options.schema)) {
      throw new Error(`audit schema name "${options.schema}" is not a plain lower-case identifier`);
    }
    this.#schema = `"${options.schema}"`;
    this.#lockKey = `switchyard_audit:${options.schema}`;
    this.#partitionsAhead = options.partitionsAhead ?? 2;
    this.#now = options.now ?? Date.now;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      query_timeout: (options.statementTimeoutMs ?? 30_000) + 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'switchyard-audit',
    });
    const { logger } = options;
    // An idle connection dropped by the server must not crash the process.
    this.#pool.on('error', (error) => {
      logger.warn({ err: connectionError(error) }, 'audit: idle PostgreSQL connection failed');
    });
    // Nor one dropped while checked out but between statements (pg emits
    // 'error' on the client then, and the pool listens only to idle ones):
    // the statement that follows fails and the writer retries the batch.
    this.#pool.on('connect', (client) => {
      client.on('error', (error) => {
        logger.debug({ err: connectionError(error) }, 'audit: PostgreSQL connection failed');
      });
    });
  }

  /**
   * Runs the migrations and makes the partitions ahead. The first write does
   * this itself; calling it at start-up only surfaces problems sooner.
   */
  async migrate(): Promise<void> {
    if (!this.#migrated) {
      await this.#withClient((client) =>
        migratePostgres(client, { schema: this.#schema, lockKey: this.#lockKey }),
      );
      this.#migrated = true;
    }
    await this.ensurePartitions([]);
  }

  /** Makes the partitions of these months, and of those ahead, if missing. */
  async ensurePartitions(timesMs: number[]): Promise<void> {
    const current = monthOf(this.#now());
    const months = new Map<string, UtcMonth>();
    for (let ahead = 0; ahead <= this.#partitionsAhead; ahead++) {
      const month = addMonths(current, ahead);
      months.set(monthKey(month), month);
    }
    for (const timeMs of timesMs) months.set(monthKey(monthOf(timeMs)), monthOf(timeMs));
    const missing = [...months.entries()].filter(([key]) => !this.#knownMonths.has(key));
    if (missing.length === 0) return;

    await this.#withClient((client) =>
      inTransaction(client, async () => {
        // The same lock as migrations: concurrent CREATE TABLE IF NOT EXISTS can collide.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#lockKey]);
        for (const [, month] of missing) await client.query(this.#partitionSql(month));
      }),
    );
    for (const [key] of missing) this.#knownMonths.add(key);
  }

  async write(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (!this.#migrated) await this.migrate();
    await this.ensurePartitions(records.map((record) => record.timeMs));
    const sql = `
      INSERT INTO ${this.#schema}.requests (${COLUMN_NAMES})
      SELECT ${COLUMN_NAMES} FROM jsonb_to_recordset($1::jsonb) AS r(${RECORD_COLUMNS})
      ON CONFLICT (request_id, request_time) DO NOTHING`;
    try {
      await this.#pool.query(sql, [JSON.stringify(records.map(toRow))]);
    } catch (error) {
      // Someone dropped a partition we knew of: look again on the retry.
      if ((error as { code?: string }).code === NO_PARTITION_FOR_ROW) this.#knownMonths.clear();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  #partitionSql(month: UtcMonth): string {
    const name = `"requests_${monthKey(month).replace('-', '_')}"`;
    const from = new Date(monthStartMs(month)).toISOString();
    const to = new Date(monthStartMs(addMonths(month, 1))).toISOString();
    return (
      `CREATE TABLE IF NOT EXISTS ${this.#schema}.${name} PARTITION OF ` +
      `${this.#schema}.requests FOR VALUES FROM ('${from}') TO ('${to}')`
    );
  }

  async #withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      const result = await work(client);
      client.release();
      return result;
    } catch (error) {
      // A client in an unknown state (a broken connection, a held lock) is discarded.
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }
}

/**
 * What is worth logging of a connection error. pg-pool hangs the whole
 * client on it (`err.client`), which would put every connection parameter
 * and internal buffer into the log line.
 */
function connectionError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return { type: error.name, message: error.message, ...(code ? { code } : {}) };
}

/** A record as the row `jsonb_to_recordset` reads; attempts keep snake_case keys. */
function toRow(record: AuditRecord): Record<string, unknown> {
  return {
    request_id: record.requestId,
    request_time: new Date(record.timeMs).toISOString(),
    api_key_id: record.apiKeyId,
    task_type: record.taskType,
    tier: record.tier,
    model: record.model,
    endpoint: record.endpoint,
    status_code: record.statusCode,
    latency_ms: record.latencyMs,
    cost_usd: record.costUsd,
    input_tokens: record.tokens.inputTokens,
    cached_input_tokens: record.tokens.cachedInputTokens,
    cache_write_tokens: record.tokens.cacheWriteTokens,
    output_tokens: record.tokens.outputTokens,
    reasoning_tokens: record.tokens.reasoningTokens,
    attempt_count: record.attempts.length,
    attempts: record.attempts.map(toAttemptJson),
    schema_valid: record.schemaValid,
    repaired: record.repaired,
    cache_hit: record.cacheHit,
    fallback: record.fallback,
    error_type: record.errorType,
    metadata: record.metadata ?? null,
    prompt: record.prompt ?? null,
    output: record.output ?? null,
  };
}

function toAttemptJson(attempt: AuditAttempt): Record<string, unknown> {
  const tokens = attempt.tokens;
  return {
    tier: attempt.tier,
    model: attempt.model,
    deployment_id: attempt.deploymentId,
    outcome: attempt.outcome,
    latency_ms: attempt.latencyMs,
    cost_usd: attempt.costUsd,
    cost_estimated: attempt.costEstimated,
    input_tokens: tokens?.inputTokens ?? null,
    cached_input_tokens: tokens?.cachedInputTokens ?? null,
    cache_write_tokens: tokens?.cacheWriteTokens ?? null,
    output_tokens: tokens?.outputTokens ?? null,
    reasoning_tokens: tokens?.reasoningTokens ?? null,
    upstream_status: attempt.upstreamStatus,
  };
}
