import pg from 'pg';
import type { ApiKeyPatch, ApiKeyRecord } from './api-key-record.js';
import type { KeyStore } from './key-store.js';
import { fromRow, KEY_COLUMNS, patchColumns, rowValues, type ApiKeyRow } from './key-rows.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresKeyStoreOptions {
  /** `postgres://user@host:5432/db`; ignored when `pool` is given. */
  connectionString?: string;
  /** A pool to share with other stores (the audit log); not closed by `close`. */
  pool?: pg.Pool;
  /** The schema the `api_keys` table lives in; created when missing. Default `switchyard`. */
  schema?: string;
}

/**
 * A `KeyStore` in PostgreSQL, for replicas that must share their keys. The
 * table is created on open, under an advisory lock, so that two gateways
 * starting at once do not race on `CREATE SCHEMA` (which PostgreSQL does not
 * make safe for concurrent callers even with IF NOT EXISTS).
 */
export class PostgresKeyStore implements KeyStore {
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #table: string;

  private constructor(options: { pool: pg.Pool; ownsPool: boolean; schema: string }) {
    this.#pool = options.pool;
    this.#ownsPool = options.ownsPool;
    this.#table = `"${options.schema}".api_keys`;
  }

  /** Connects and creates the schema and table when they are missing. */
  static async open(options: PostgresKeyStoreOptions): Promise<PostgresKeyStore> {
    const schema = options.schema ?? 'switchyard';
    if (!SCHEMA_NAME.test(schema)) {
      throw new Error(`schema "${schema}" must match ${SCHEMA_NAME} (lower-case, unquoted)`);
    }
    const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString });
    // A connection the server drops (failover, idle reaper) must not crash
    // the process through an unheard 'error': the next query fails instead,
    // and the request gets 503 from the key check.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const store = new PostgresKeyStore({ pool, ownsPool: !options.pool, schema });
    try {
      await store.#migrate(schema);
    } catch (error) {
      if (!options.pool) await pool.end();
      throw error;
    }
    return store;
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    const placeholders = rowValues(record).map((_, index) => `$${index + 1}`);
    await this.#pool.query(
      `INSERT INTO ${this.#table} (${KEY_COLUMNS}) VALUES (${placeholders.join(', ')})`,
      rowValues(record),
    );
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.#one(`SELECT ${KEY_COLUMNS} FROM ${this.#table} WHERE key_hash = $1`, [hash]);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#one(`SELECT ${KEY_COLUMNS} FROM ${this.#table} WHERE id = $1`, [id]);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.#pool.query<ApiKeyRow>(
      `SELECT ${KEY_COLUMNS} FROM ${this.#table} ORDER BY created_at_ms, id`,
    );
    return rows.map(fromRow);
  }

  async update(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | undefined> {
    const columns = patchColumns(patch);
    if (columns.length === 0) return this.get(id);

    const assignments = columns.map(({ column }, index) => `${column} = $${index + 2}`);
    return this.#one(
      `UPDATE ${this.#table} SET ${assignments.join(', ')} WHERE id = $1 RETURNING ${KEY_COLUMNS}`,
      [id, ...columns.map(({ value }) => value)],
    );
  }

  async revoke(id: string, atMs: number): Promise<ApiKeyRecord | undefined> {
    return this.#one(
      `UPDATE ${this.#table} SET revoked_at_ms = COALESCE(revoked_at_ms, $2) WHERE id = $1
       RETURNING ${KEY_COLUMNS}`,
      [id, atMs],
    );
  }

  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.end();
  }

  async #one(sql: string, params: (string | number | null)[]): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.#pool.query<ApiKeyRow>(sql, params);
    const row = rows[0];
    return row && fromRow(row);
  }

  async #migrate(schema: string): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Held until COMMIT; every gateway migrating this schema waits its turn.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`switchyard:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${this.#table} (
          id TEXT PRIMARY KEY,
          key_hash TEXT NOT NULL UNIQUE,
          display_prefix TEXT NOT NULL,
          owner TEXT NOT NULL,
          allowed_tiers TEXT NOT NULL,
          daily_budget_usd DOUBLE PRECISION,
          monthly_budget_usd DOUBLE PRECISION,
          created_at_ms BIGINT NOT NULL,
          revoked_at_ms BIGINT
        )`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
}
