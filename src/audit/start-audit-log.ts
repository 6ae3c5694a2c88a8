import type { Logger } from '../logging/logger.js';
import type { Clock } from '../util/clock.js';
import type { AuditConfig } from './audit-config.js';
import type { AuditSink } from './audit-sink.js';
import { AuditWriter } from './audit-writer.js';
import { SqliteAuditSink } from './sqlite-audit-sink.js';

/**
 * The sink the configuration names; PostgreSQL connects lazily, SQLite opens
 * now. pg is loaded only when the audit log goes to PostgreSQL.
 */
export async function createAuditSink(options: {
  config: AuditConfig;
  logger: Logger;
  now?: () => number;
}): Promise<AuditSink> {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  if (config.backend === 'sqlite') return new SqliteAuditSink({ path: config.sqlite.path, now });
  if (!config.postgres.url) throw new Error('audit.postgres.url is required for backend postgres');
  const { PostgresAuditSink } = await import('./postgres-audit-sink.js');
  return new PostgresAuditSink({
    url: config.postgres.url,
    schema: config.postgres.schema,
    partitionsAhead: config.postgres.partitionsAhead,
    poolSize: config.postgres.poolSize,
    connectTimeoutMs: config.postgres.connectTimeoutMs,
    statementTimeoutMs: config.postgres.statementTimeoutMs,
    logger,
    now,
  });
}

/**
 * The app's one call: the configured sink behind a started writer, or
 * undefined when auditing is off. The caller enqueues a record per request
 * and awaits `close()` on shutdown, after the HTTP server has stopped.
 */
export async function startAuditLog(options: {
  config: AuditConfig;
  logger: Logger;
  clock?: Pick<Clock, 'now' | 'sleep' | 'random'>;
}): Promise<AuditWriter | undefined> {
  const { config, logger, clock } = options;
  if (!config.enabled) return undefined;
  const sink = await createAuditSink({ config, logger, ...(clock ? { now: clock.now } : {}) });
  const writer = await AuditWriter.open({
    sink,
    logger,
    flushIntervalMs: config.writer.flushIntervalMs,
    batchSize: config.writer.batchSize,
    maxSpooledRecords: config.writer.maxSpooledRecords,
    closeTimeoutMs: config.writer.closeTimeoutMs,
    ...(config.writer.spoolFile ? { spoolFile: config.writer.spoolFile } : {}),
    ...(clock ? { clock } : {}),
  });
  logger.info(
    {
      backend: config.backend,
      ...(config.backend === 'sqlite'
        ? { path: config.sqlite.path }
        : { schema: config.postgres.schema }),
      include_text: config.includeText,
    },
    'audit log enabled',
  );
  return writer;
}
