import type { Database } from 'better-sqlite3';

/** One step of the SQLite audit schema; applied once, in version order. */
export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The SQLite audit schema. Append new versions; never edit an applied one,
 * because databases that already ran it will not run it again.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'requests and attempts',
    sql: `
      CREATE TABLE requests (
        request_id TEXT PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        api_key_id TEXT,
        task_type TEXT,
        tier TEXT,
        model TEXT,
        endpoint TEXT NOT NULL,
        status_code INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        cost_usd REAL NOT NULL,
        input_tokens INTEGER NOT NULL,
        cached_input_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        attempt_count INTEGER NOT NULL,
        schema_valid INTEGER,
        repaired INTEGER NOT NULL,
        cache_hit INTEGER NOT NULL,
        fallback INTEGER NOT NULL,
        error_type TEXT,
        metadata TEXT,
        prompt TEXT,
        output TEXT
      );
      CREATE INDEX requests_time_ms ON requests (time_ms);
      CREATE TABLE attempts (
        request_id TEXT NOT NULL REFERENCES requests (request_id) ON DELETE CASCADE,
        attempt_index INTEGER NOT NULL,
        tier TEXT NOT NULL,
        model TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        latency_ms REAL NOT NULL,
        cost_usd REAL NOT NULL,
        cost_estimated INTEGER NOT NULL,
        -- Token columns are NULL when the provider reported no usage.
        input_tokens INTEGER,
        cached_input_tokens INTEGER,
        cache_write_tokens INTEGER,
        output_tokens INTEGER,
        reasoning_tokens INTEGER,
        upstream_status INTEGER,
        PRIMARY KEY (request_id, attempt_index)
      );
      CREATE INDEX attempts_model ON attempts (model);
    `,
  },
];

/**
 * Applies the migrations this database has not run, each in its own
 * transaction. `BEGIN IMMEDIATE` takes the write lock before reading what
 * was applied, so two processes opening one file do not both apply a step.
 */
export function migrateSqlite(db: Database, options: { nowMs: number }): number[] {
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at_ms INTEGER NOT NULL
    )
  `);
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)',
  );
  const applied: number[] = [];
  for (const migration of SQLITE_MIGRATIONS) {
    const apply = db.transaction(() => {
      if (isApplied.get(migration.version)) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, options.nowMs);
      applied.push(migration.version);
    });
    apply.immediate();
  }
  return applied;
}
