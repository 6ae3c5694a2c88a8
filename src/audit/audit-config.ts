import { resolve } from 'node:path';

/** The `audit` section of the configuration, normalised. */
export interface AuditConfig {
  /** Whether requests are audited at all. Default true. */
  enabled: boolean;
  /** Where records go and where `switchyard report` reads them. Default `sqlite`. */
  backend: 'sqlite' | 'postgres';
  /** Copy prompt messages and output text into records. Default false. */
  includeText: boolean;
  sqlite: {
    /** Absolute path of the database file; default `./switchyard-audit.db`. */
    path: string;
  };
  postgres: PostgresAuditConfig;
  writer: AuditWriterConfig;
}

export interface PostgresAuditConfig {
  /** A `postgres://` URL; required when the backend is `postgres`. */
  url: string | undefined;
  /** The schema holding the audit tables. Default `switchyard_audit`. */
  schema: string;
  /** Monthly partitions created ahead of the current month. Default 2. */
  partitionsAhead: number;
  /** Connections in the pool. Default 4. */
  poolSize: number;
  /** Gives up on connecting after this long. Default 5000. */
  connectTimeoutMs: number;
  /** Bounds every statement, so a hung server cannot stall the writer. Default 30 000. */
  statementTimeoutMs: number;
}

export interface AuditWriterConfig {
  flushIntervalMs: number;
  batchSize: number;
  maxSpooledRecords: number;
  /** Absolute path of the JSONL spool file; undefined keeps the spool in memory only. */
  spoolFile: string | undefined;
  closeTimeoutMs: number;
}

/** Schema names are interpolated into SQL, so only plain identifiers pass. */
export const SCHEMA_NAME_PATTERN = '^[a-z_][a-z0-9_]{0,62}$';

/**
 * JSON Schema of the `audit` section as written (snake_case), for the
 * configuration's schema; `postgres.url` is required with `backend: postgres`.
 */
export const AUDIT_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    backend: { enum: ['sqlite', 'postgres'] },
    include_text: { type: 'boolean' },
    sqlite: {
      type: 'object',
      additionalProperties: false,
      properties: { path: { type: 'string', minLength: 1 } },
    },
    postgres: {
      type: 'object',
      additionalProperties: false,
      properties: {
        url: { type: 'string', pattern: '^postgres(ql)?://' },
        schema: { type: 'string', pattern: SCHEMA_NAME_PATTERN },
        partitions_ahead: { type: 'integer', minimum: 0, maximum: 24 },
        pool_size: { type: 'integer', minimum: 1 },
        connect_timeout_ms: { type: 'integer', minimum: 1 },
        statement_timeout_ms: { type: 'integer', minimum: 1 },
      },
    },
    flush_interval_ms: { type: 'integer', minimum: 1 },
    batch_size: { type: 'integer', minimum: 1, maximum: 5000 },
    max_spooled_records: { type: 'integer', minimum: 1 },
    spool_file: { type: 'string', minLength: 1 },
    close_timeout_ms: { type: 'integer', minimum: 0 },
  },
  if: { required: ['backend'], properties: { backend: { const: 'postgres' } } },
  then: { required: ['postgres'], properties: { postgres: { required: ['url'] } } },
} as const;

/** The `audit` section as written in YAML, after `AUDIT_CONFIG_SCHEMA` passed it. */
export interface RawAuditConfig {
  enabled?: boolean;
  backend?: 'sqlite' | 'postgres';
  include_text?: boolean;
  sqlite?: { path?: string };
  postgres?: {
    url?: string;
    schema?: string;
    partitions_ahead?: number;
    pool_size?: number;
    connect_timeout_ms?: number;
    statement_timeout_ms?: number;
  };
  flush_interval_ms?: number;
  batch_size?: number;
  max_spooled_records?: number;
  spool_file?: string;
  close_timeout_ms?: number;
}

/**
 * Fills in the defaults; relative file paths resolve against `baseDir`
 * (the configuration file's directory, as `contracts_dir` does).
 */
export function normaliseAuditConfig(
  raw: RawAuditConfig | undefined,
  options: { baseDir: string },
): AuditConfig {
  const section = raw ?? {};
  const pg = section.postgres ?? {};
  return {
    enabled: section.enabled ?? true,
    backend: section.backend ?? 'sqlite',
    includeText: section.include_text ?? false,
    sqlite: { path: resolve(options.baseDir, section.sqlite?.path ?? './switchyard-audit.db') },
    postgres: {
      url: pg.url,
      schema: pg.schema ?? 'switchyard_audit',
      partitionsAhead: pg.partitions_ahead ?? 2,
      poolSize: pg.pool_size ?? 4,
      connectTimeoutMs: pg.connect_timeout_ms ?? 5000,
      statementTimeoutMs: pg.statement_timeout_ms ?? 30_000,
    },
    writer: {
      flushIntervalMs: section.flush_interval_ms ?? 1000,
      batchSize: section.batch_size ?? 200,
      maxSpooledRecords: section.max_spooled_records ?? 100_000,
      spoolFile: section.spool_file ? resolve(options.baseDir, section.spool_file) : undefined,
      closeTimeoutMs: section.close_timeout_ms ?? 10_000,
    },
  };
}
