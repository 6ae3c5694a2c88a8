import { resolve } from 'node:path';
import type { KeyStoreConfig } from './open-key-store.js';

/** The `keys` section of the configuration, normalised. */
export interface KeysConfig {
  /** Where virtual API keys live. Default: SQLite at `./switchyard.db`. */
  store: KeyStoreConfig;
}

/** The `admin` section of the configuration, normalised. */
export interface AdminConfig {
  /**
   * The bearer token of the admin API. Undefined (the default, and what an
   * unset `${SWITCHYARD_ADMIN_TOKEN}` expands to) disables the admin API.
   */
  token: string | undefined;
}

/** Schema names are put into SQL, so only plain identifiers pass. */
const SCHEMA_NAME_PATTERN = '^[a-z_][a-z0-9_]{0,62}$';

/** Shorter admin tokens are refused: the token guards every key and budget. */
export const MIN_ADMIN_TOKEN_CHARS = 16;

/**
 * JSON Schema of the `keys` section as written (snake_case);
 * `postgres_url` is required with `store: postgres`.
 */
export const KEYS_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    store: { enum: ['sqlite', 'postgres'] },
    sqlite_path: { type: 'string', minLength: 1 },
    postgres_url: { type: 'string', pattern: '^postgres(ql)?://' },
    postgres_schema: { type: 'string', pattern: SCHEMA_NAME_PATTERN },
  },
  if: { required: ['store'], properties: { store: { const: 'postgres' } } },
  then: { required: ['postgres_url'] },
} as const;

/**
 * JSON Schema of the `admin` section as written. An empty token (an unset
 * variable) is allowed and disables the admin API; a set one must be long.
 */
export const ADMIN_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    token: {
      type: 'string',
      // Ajv reports the `then` failure first, so the message reads
      // `admin.token: must NOT have fewer than 16 characters`.
      if: { pattern: '\\S' },
      then: { minLength: MIN_ADMIN_TOKEN_CHARS },
    },
  },
} as const;

/** The `keys` section as written in YAML, after `KEYS_CONFIG_SCHEMA` passed it. */
export interface RawKeysConfig {
  store?: 'sqlite' | 'postgres';
  sqlite_path?: string;
  postgres_url?: string;
  postgres_schema?: string;
}

/** The `admin` section as written in YAML, after `ADMIN_CONFIG_SCHEMA` passed it. */
export interface RawAdminConfig {
  token?: string;
}

/**
 * Fills in the defaults of `keys`; a relative `sqlite_path` resolves against
 * `baseDir` (the configuration file's directory, as `contracts_dir` does).
 */
export function normaliseKeysConfig(
  raw: RawKeysConfig | undefined,
  options: { baseDir: string },
): KeysConfig {
  const section = raw ?? {};
  if (section.store === 'postgres') {
    return {
      store: {
        kind: 'postgres',
        // The schema requires the URL with `store: postgres`.
        connectionString: section.postgres_url ?? '',
        schema: section.postgres_schema ?? 'switchyard_keys',
      },
    };
  }
  return {
    store: {
      kind: 'sqlite',
      path: resolve(options.baseDir, section.sqlite_path ?? './switchyard.db'),
    },
  };
}

/** A blank token means "no admin API", as an unset variable does. */
export function normaliseAdminConfig(raw: RawAdminConfig | undefined): AdminConfig {
  const token = raw?.token?.trim();
  return { token: token ? token : undefined };
}
