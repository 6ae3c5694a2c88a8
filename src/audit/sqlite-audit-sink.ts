import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditAttempt, AuditRecord } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';
import { migrateSqlite } from './sqlite-migrations.js';

export interface SqliteAuditSinkOptions {
  /** The database file; created with its directory if missing. */
  path: string;
  /** Waits this long for another process's write lock. Default 5000. */
  busyTimeoutMs?: number;
  now?: () => number;
}

const INSERT_REQUEST = `
  INSERT OR IGNORE INTO requests (
    request_id, time_ms, api_key_id, task_type, tier, model, endpoint, status_code,
    latency_ms, cost_usd, input_tokens, cached_input_tokens, cache_write_tokens,
    output_tokens, reasoning_tokens, attempt_count, schema_valid, repaired, cache_hit,
    fallback, error_type, metadata, prompt, output
  ) VALUES (
    @request_id, @time_ms, @api_key_id, @task_type, @tier, @model, @endpoint, @status_code,
    @latency_ms, @cost_usd, @input_tokens, @cached_input_tokens, @cache_write_tokens,
    @output_tokens, @reasoning_tokens, @attempt_count, @schema_valid, @repaired, @cache_hit,
    @fallback, @error_type, @metadata, @prompt, @output
  )`;

const INSERT_ATTEMPT = `
  INSERT OR IGNORE INTO attempts (
    request_id, attempt_index, tier, model, deployment_id, outcome, latency_ms, cost_usd,
    cost_estimated, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
    reasoning_tokens, upstream_status
  ) VALUES (
    @request_id, @attempt_index, @tier, @model, @deployment_id, @outcome, @latency_ms, @cost_usd,
    @cost_estimated, @input_tokens, @cached_input_tokens, @cache_write_tokens, @output_tokens,
    @reasoning_tokens, @upstream_status
  )`;

type SqlValue = string | number | null;

/**
 * The audit log in one SQLite file, for a single gateway: no server to run.
 * WAL mode lets `switchyard report` read while the gateway writes. A batch is
 * one transaction; `INSERT OR IGNORE` on the request id keeps a retried batch
 * from adding a second copy. Writes are synchronous (better-sqlite3), which is
 * fine off the request path for batches of a few hundred rows.
 */
export class SqliteAuditSink implements AuditSink {
  readonly #db: Database.Database;
  readonly #writeBatch: (records: AuditRecord[]) => void;

  constructor(options: SqliteAuditSinkOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new Database(options.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    this.#db.pragma('foreign_keys = ON');
    migrateSqlite(this.#db, { nowMs: (options.now ?? Date.now)() });

    const insertRequest = this.#db.prepare<Record<string, SqlValue>>(INSERT_REQUEST);
    const insertAttempt = this.#db.prepare<Record<string, SqlValue>>(INSERT_ATTEMPT);
    this.#writeBatch = this.#db.transaction((records: AuditRecord[]) => {
      for (const record of records) {
        // Attempts go in only with a new request row, so a retry adds none twice.
        if (insertRequest.run(requestRow(record)).changes !== 1) continue;
        record.attempts.forEach((attempt, index) => {
          insertAttempt.run(attemptRow({ requestId: record.requestId, attempt, index }));
        });
      }
    });
  }

  async write(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.#writeBatch(records);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function requestRow(record: AuditRecord): Record<string, SqlValue> {
  return {
    request_id: record.requestId,
    time_ms: record.timeMs,
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
    schema_valid: record.schemaValid === null ? null : Number(record.schemaValid),
    repaired: Number(record.repaired),
    cache_hit: Number(record.cacheHit),
    fallback: Number(record.fallback),
    error_type: record.errorType,
    metadata: record.metadata === undefined ? null : JSON.stringify(record.metadata),
    prompt: record.prompt === undefined ? null : JSON.stringify(record.prompt),
    output: record.output ?? null,
  };
}

function attemptRow(options: {
  requestId: string;
  attempt: AuditAttempt;
  index: number;
}): Record<string, SqlValue> {
  const { requestId, attempt, index } = options;
  const tokens = attempt.tokens;
  return {
    request_id: requestId,
    attempt_index: index,
    tier: attempt.tier,
    model: attempt.model,
    deployment_id: attempt.deploymentId,
    outcome: attempt.outcome,
    latency_ms: attempt.latencyMs,
    cost_usd: attempt.costUsd,
    cost_estimated: Number(attempt.costEstimated),
    input_tokens: tokens?.inputTokens ?? null,
    cached_input_tokens: tokens?.cachedInputTokens ?? null,
    cache_write_tokens: tokens?.cacheWriteTokens ?? null,
    output_tokens: tokens?.outputTokens ?? null,
    reasoning_tokens: tokens?.reasoningTokens ?? null,
    upstream_status: attempt.upstreamStatus,
  };
}
