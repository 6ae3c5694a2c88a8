import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
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

const REQUEST_COLUMNS = [
  'request_id',
  'time_ms',
  'api_key_id',
  'task_type',
  'tier',
  'model',
  'endpoint',
  'status_code',
  'latency_ms',
  'cost_usd',
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'attempt_count',
  'schema_valid',
  'repaired',
  'cache_hit',
  'fallback',
  'error_type',
  'metadata',
  'prompt',
  'output',
] as const;

const ATTEMPT_COLUMNS = [
  'request_id',
  'attempt_index',
  'tier',
  'model',
  'deployment_id',
  'outcome',
  'latency_ms',
  'cost_usd',
  'cost_estimated',
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'upstream_status',
] as const;

const insertSql = (table: string, columns: readonly string[]) =>
  `INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) ` +
  `VALUES (${columns.map(() => '?').join(', ')})`;

type SqlValue = string | number | null;

/** `PRAGMA cache_size` of the writing connection: negative means KiB, so 2 MB. */
export const WRITER_CACHE_SIZE_PRAGMA = -2000;

/** One request's rows, in the column order above. */
interface RowBatchEntry {
  request: SqlValue[];
  attempts: SqlValue[][];
}

type WorkerReply = { id: number; error?: string };

/**
 * The writing thread. It is CommonJS source run with `eval`, so it works the
 * same whether the gateway runs from `dist/` or its TypeScript sources, and
 * it only executes statements: rows are built on the main thread. A batch is
 * one transaction; attempts go in only with a new request row, so a retried
 * batch adds none twice.
 *
 * The page cache is cut to SQLite's stock 2 MB: better-sqlite3 builds SQLite
 * with a 16 MB default, which an append-only writer fills with pages it never
 * reads again (its inserts touch only the last page of the table and of each
 * index), and which showed as 16 MB more resident memory under load.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('foreign_keys = ON');
db.pragma('cache_size = ' + workerData.cacheSizePragma);
const insertRequest = db.prepare(workerData.insertRequest);
const insertAttempt = db.prepare(workerData.insertAttempt);
const writeBatch = db.transaction((entries) => {
  for (const entry of entries) {
    if (insertRequest.run(entry.request).changes !== 1) continue;
    for (const attempt of entry.attempts) insertAttempt.run(attempt);
  }
});
parentPort.on('message', (message) => {
  if (message.close) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    writeBatch(message.entries);
    parentPort.postMessage({ id: message.id });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

/**
 * The audit log in one SQLite file, for a single gateway: no server to run.
 * WAL mode lets `switchyard report` read while the gateway writes.
 *
 * better-sqlite3 is synchronous, so the batches are written on a worker
 * thread: a transaction of a few hundred rows would otherwise stop the event
 * loop, and every request in flight with it, for milliseconds. The file is
 * created and migrated on the calling thread when the sink is made, so a
 * path that cannot be opened fails at start, not at the first write.
 */
export class SqliteAuditSink implements AuditSink {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(): void; reject(error: Error): void }>();
  #nextId = 0;
  #closed: Promise<void> | undefined;

  constructor(options: SqliteAuditSinkOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
    const db = new Database(options.path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      migrateSqlite(db, { nowMs: (options.now ?? Date.now)() });
    } finally {
      db.close();
    }

    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // The thread holds one batch at a time: a small young generation keeps
      // its share of the process's memory small (V8's default grows to 32 MB).
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        path: options.path,
        busyTimeoutMs,
        cacheSizePragma: WRITER_CACHE_SIZE_PRAGMA,
        insertRequest: insertSql('requests', REQUEST_COLUMNS),
        insertAttempt: insertSql('attempts', ATTEMPT_COLUMNS),
      },
    });
    // Only a write in flight keeps the process alive (see #settle).
    this.#worker.unref();
    this.#worker.on('message', (reply: WorkerReply) => this.#settle(reply));
    this.#worker.on('error', (error) => this.#failAll(error));
    this.#worker.on('exit', () => this.#failAll(new Error('the audit writer thread stopped')));
  }

  write(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the SQLite audit sink is closed'));
    const entries: RowBatchEntry[] = records.map((record) => ({
      request: requestRow(record),
      attempts: record.attempts.map((attempt, index) =>
        attemptRow({ requestId: record.requestId, attempt, index }),
      ),
    }));
    const id = ++this.#nextId;
    return new Promise<void>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, entries });
    });
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#worker.once('exit', () => resolve());
      this.#worker.ref();
      this.#worker.postMessage({ close: true });
    });
    return this.#closed;
  }

  #settle(reply: WorkerReply): void {
    const waiting = this.#pending.get(reply.id);
    if (!waiting) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0 && !this.#closed) this.#worker.unref();
    if (reply.error === undefined) waiting.resolve();
    else waiting.reject(new Error(reply.error));
  }

  #failAll(error: Error): void {
    for (const waiting of this.#pending.values()) waiting.reject(error);
    this.#pending.clear();
  }
}

function requestRow(record: AuditRecord): SqlValue[] {
  const row: Record<(typeof REQUEST_COLUMNS)[number], SqlValue> = {
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
  return REQUEST_COLUMNS.map((column) => row[column]);
}

function attemptRow(options: {
  requestId: string;
  attempt: AuditAttempt;
  index: number;
}): SqlValue[] {
  const { requestId, attempt, index } = options;
  const tokens = attempt.tokens;
  const row: Record<(typeof ATTEMPT_COLUMNS)[number], SqlValue> = {
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
  return ATTEMPT_COLUMNS.map((column) => row[column]);
}
