import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { testAttempt, testRecord, testRecords } from './audit-test-support.js';
import { AuditWriter } from './audit-writer.js';
import { SqliteAuditSink } from './sqlite-audit-sink.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const handle of open.splice(0)) await handle.close();
});

function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'switchyard-audit-')), 'nested', 'audit.db');
}

function sinkAt(path: string): SqliteAuditSink {
  const sink = new SqliteAuditSink({ path, now: () => Date.UTC(2025, 0, 1) });
  open.push(sink);
  return sink;
}

function inspect(path: string): Database.Database {
  const db = new Database(path, { readonly: true });
  open.push(db);
  return db;
}

function count(db: Database.Database, sql: string): number {
  return (db.prepare(sql).get() as { n: number }).n;
}

describe('SqliteAuditSink', () => {
  it('creates the file in WAL mode with requests, attempts and schema_migrations', () => {
    const path = tempDbPath();
    sinkAt(path);
    const db = inspect(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((row) => (row as { name: string }).name);
    expect(tables).toEqual(['attempts', 'requests', 'schema_migrations']);
    expect(db.prepare('SELECT version, name, applied_at_ms FROM schema_migrations').all()).toEqual([
      { version: 1, name: 'requests and attempts', applied_at_ms: Date.UTC(2025, 0, 1) },
    ]);
  });

  it('applies each migration once when opened again', async () => {
    const path = tempDbPath();
    await sinkAt(path).close();
    sinkAt(path);
    const db = inspect(path);
    expect(count(db, 'SELECT count(*) AS n FROM schema_migrations')).toBe(SQLITE_MIGRATIONS.length);
  });

  it('writes a request row and one row per attempt referencing it', async () => {
    const path = tempDbPath();
    const sink = sinkAt(path);
    const record = testRecord({
      requestId: 'req_esc',
      apiKeyId: 'key_1',
      metadata: { team: 'ops' },
      attempts: [
        testAttempt({ outcome: 'timeout', tokens: null, costUsd: 0, upstreamStatus: 504 }),
        testAttempt({ tier: 'mid', model: 'gpt-4o-2024-08-06', costUsd: 0.002 }),
      ],
    });
    await sink.write([record]);
    const db = inspect(path);
    expect(db.prepare('SELECT * FROM requests').get()).toMatchObject({
      request_id: 'req_esc',
      time_ms: Date.UTC(2025, 0, 15, 12),
      api_key_id: 'key_1',
      tier: 'mid',
      cost_usd: 0.002,
      input_tokens: 100,
      output_tokens: 20,
      attempt_count: 2,
      schema_valid: 1,
      fallback: 1,
      cache_hit: 0,
      metadata: '{"team":"ops"}',
      prompt: null,
    });
    const attempts = db
      .prepare(
        'SELECT attempt_index, outcome, input_tokens, upstream_status FROM attempts ORDER BY 1',
      )
      .all();
    expect(attempts).toEqual([
      { attempt_index: 0, outcome: 'timeout', input_tokens: null, upstream_status: 504 },
      { attempt_index: 1, outcome: 'success', input_tokens: 100, upstream_status: null },
    ]);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('adds nothing when a batch is written again', async () => {
    const path = tempDbPath();
    const sink = sinkAt(path);
    const batch = testRecords(10);
    await sink.write(batch.slice(0, 4));
    await sink.write(batch);
    const db = inspect(path);
    expect(count(db, 'SELECT count(*) AS n FROM requests')).toBe(10);
    expect(count(db, 'SELECT count(*) AS n FROM attempts')).toBe(10);
  });

  it('holds exactly what an AuditWriter enqueued, with no PostgreSQL anywhere', async () => {
    const path = tempDbPath();
    const writer = await AuditWriter.open({
      sink: sinkAt(path),
      logger: silentLogger(),
      flushIntervalMs: 0,
      batchSize: 50,
    });
    for (const record of testRecords(120)) writer.enqueue(record);
    await writer.close();
    const db = inspect(path);
    expect(count(db, 'SELECT count(DISTINCT request_id) AS n FROM requests')).toBe(120);
    expect(count(db, 'SELECT count(*) AS n FROM requests')).toBe(120);
  });

  it('rejects a batch the database refuses, writing none of it, and takes the next', async () => {
    const path = tempDbPath();
    const sink = sinkAt(path);
    const good = testRecord({ requestId: 'req_good' });
    // SQLite cannot bind an object: the whole transaction must roll back.
    const bad = testRecord({ requestId: 'req_bad', output: {} as unknown as string });
    await expect(sink.write([good, bad])).rejects.toThrow(/can only bind/);
    await sink.write(testRecords(3));
    const db = inspect(path);
    expect(count(db, 'SELECT count(*) AS n FROM requests')).toBe(3);
    expect(count(db, "SELECT count(*) AS n FROM requests WHERE request_id = 'req_good'")).toBe(0);
  });

  it('refuses writes once closed', async () => {
    const sink = sinkAt(tempDbPath());
    await sink.close();
    await expect(sink.write(testRecords(1))).rejects.toThrow('closed');
  });

  it('fails at once when the file cannot be opened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-audit-'));
    // A directory where the database file should be.
    expect(() => new SqliteAuditSink({ path: dir })).toThrow();
  });
});
