import type { PoolClient } from 'pg';

/** One step of the PostgreSQL audit schema; `sql` gets the quoted schema name. */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: (schema: string) => string;
}

/**
 * The PostgreSQL audit schema. Append new versions; never edit an applied
 * one, because databases that already ran it will not run it again.
 *
 * Attempts live as a JSONB array inside their request row rather than in a
 * table of their own: they are always written and read with their request
 * (at most a dozen of them), one row keeps the idempotent insert a single
 * `ON CONFLICT DO NOTHING`, and dropping a month's partition removes that
 * month's attempts with it, with no second partition set to keep in step.
 * Per-model reports unnest them with `jsonb_array_elements`.
 *
 * A partitioned table's unique keys must include the partition key, so the
 * key is (request_id, request_time). A retried record carries the same time,
 * so it still conflicts and is skipped; PostgreSQL cannot enforce request_id
 * alone across partitions.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'requests partitioned by month',
    sql: (schema) => `
      CREATE TABLE ${schema}.requests (
        request_id text NOT NULL,
        request_time timestamptz NOT NULL,
        api_key_id text,
        task_type text,
        tier text,
        model text,
        endpoint text NOT NULL,
        status_code smallint NOT NULL,
        latency_ms double precision NOT NULL,
        cost_usd numeric(20, 10) NOT NULL,
        input_tokens bigint NOT NULL,
        cached_input_tokens bigint NOT NULL,
        cache_write_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        reasoning_tokens bigint NOT NULL,
        attempt_count smallint NOT NULL,
        attempts jsonb NOT NULL,
        schema_valid boolean,
        repaired boolean NOT NULL,
        cache_hit boolean NOT NULL,
        fallback boolean NOT NULL,
        error_type text,
        metadata jsonb,
        prompt jsonb,
        output text,
        PRIMARY KEY (request_id, request_time)
      ) PARTITION BY RANGE (request_time);
      CREATE INDEX requests_request_time ON ${schema}.requests (request_time);
    `,
  },
];

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in
 * its own transaction, under a session advisory lock keyed by the schema, so
 * replicas starting together run them one at a time and the second finds
 * them applied. Returns the versions this call applied.
 */
export async function migratePostgres(
  client: PoolClient,
  options: { schema: string; lockKey: string },
): Promise<number[]> {
  const { schema, lockKey } = options;
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations`,
    );
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of POSTGRES_MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await inTransaction(client, async () => {
        await client.query(migration.sql(schema));
        await client.query(
          `INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`,
          [migration.version, migration.name],
        );
      });
      applied.push(migration.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
  }
}

/** Runs `work` in BEGIN … COMMIT, rolling back if it throws. */
export async function inTransaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
