import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteKeyStore } from './sqlite-key-store.js';
import type { KeyStore } from './key-store.js';

/**
 * Where keys are kept, as the configuration names it: a SQLite file by
 * default, or a schema in PostgreSQL for replicas that share their keys.
 */
export type KeyStoreConfig =
  { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString: string; schema: string };

export const DEFAULT_KEY_STORE: KeyStoreConfig = { kind: 'sqlite', path: './switchyard.db' };

/** Opens (and, the first time, creates) the store the configuration names. */
export async function openKeyStore(config: KeyStoreConfig): Promise<KeyStore> {
  if (config.kind === 'sqlite') {
    // SQLite creates the file but not its directory (`sqlite_path: data/keys.db`).
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    return new SqliteKeyStore({ path: config.path });
  }
  // pg is loaded only by a gateway that keeps its keys in PostgreSQL.
  const { PostgresKeyStore } = await import('./postgres-key-store.js');
  return PostgresKeyStore.open({
    connectionString: config.connectionString,
    schema: config.schema,
  });
}

/**
 * A store from one string, as the CLI's `--store` takes it:
 * `sqlite:PATH` (or a bare path) or a `postgres://` / `postgresql://` URL,
 * whose schema is `schema` (default `switchyard`).
 */
export function keyStoreConfigFromUrl(
  url: string,
  options: { schema?: string } = {},
): KeyStoreConfig {
  if (/^postgres(ql)?:\/\//.test(url)) {
    return { kind: 'postgres', connectionString: url, schema: options.schema ?? 'switchyard' };
  }
  return { kind: 'sqlite', path: url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url };
}
