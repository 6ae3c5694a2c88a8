import Database from 'better-sqlite3';
import type { ApiKeyPatch, ApiKeyRecord } from './api-key-record.js';
import type { KeyStore } from './key-store.js';
import { fromRow, KEY_COLUMNS, patchColumns, rowValues, type ApiKeyRow } from './key-rows.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  display_prefix TEXT NOT NULL,
  owner TEXT NOT NULL,
  allowed_tiers TEXT NOT NULL,
  daily_budget_usd REAL,
  monthly_budget_usd REAL,
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER
)`;

export interface SqliteKeyStoreOptions {
  /** A file path, or `:memory:` for a store that lives as long as the object. */
  path: string;
}

/**
 * A `KeyStore` in a SQLite file, the default for a single gateway. The file
 * is opened in WAL mode with a busy timeout, so the `switchyard keys` CLI can
 * write while a gateway reads. Replicas on different machines need the
 * PostgreSQL store instead: SQLite is not shared over a network.
 */
export class SqliteKeyStore implements KeyStore {
  readonly #db: Database.Database;

  constructor(options: SqliteKeyStoreOptions) {
    this.#db = new Database(options.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    this.#db
      .prepare(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(...rowValues(record));
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.#one(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_hash = ?`, [hash]);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#one(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`, [id]);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = this.#db
      .prepare(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at_ms, id`)
      .all() as ApiKeyRow[];
    return rows.map(fromRow);
  }

  async update(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | undefined> {
    const columns = patchColumns(patch);
    if (columns.length === 0) return this.get(id);

    const assignments = columns.map(({ column }) => `${column} = ?`).join(', ');
    return this.#one(`UPDATE api_keys SET ${assignments} WHERE id = ? RETURNING ${KEY_COLUMNS}`, [
      ...columns.map(({ value }) => value),
      id,
    ]);
  }

  async revoke(id: string, atMs: number): Promise<ApiKeyRecord | undefined> {
    return this.#one(
      `UPDATE api_keys SET revoked_at_ms = COALESCE(revoked_at_ms, ?) WHERE id = ?
       RETURNING ${KEY_COLUMNS}`,
      [atMs, id],
    );
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  #one(sql: string, params: (string | number | null)[]): ApiKeyRecord | undefined {
    const row = this.#db.prepare(sql).get(...params) as ApiKeyRow | undefined;
    return row && fromRow(row);
  }
}
