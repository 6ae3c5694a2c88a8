import { existsSync } from 'node:fs';
import type { AuditConfig } from '../audit/audit-config.js';
import type { AuditReader } from './audit-reader.js';
import { PostgresAuditReader } from './postgres-audit-reader.js';
import { SqliteAuditReader } from './sqlite-audit-reader.js';

/** Why the configured audit log cannot be read, in one sentence for the user. */
export class AuditLogUnavailable extends Error {
  readonly code = 'audit_log_unavailable';
}

/** A reader of the audit log the configuration writes to. */
export function openAuditReader(config: AuditConfig): AuditReader {
  if (config.backend === 'sqlite') {
    if (!existsSync(config.sqlite.path)) {
      throw new AuditLogUnavailable(`no audit log at ${config.sqlite.path} (audit.sqlite.path)`);
    }
    return new SqliteAuditReader({ path: config.sqlite.path });
  }
  if (!config.postgres.url) {
    throw new AuditLogUnavailable('audit.postgres.url is not set');
  }
  return new PostgresAuditReader({
    url: config.postgres.url,
    schema: config.postgres.schema,
    connectTimeoutMs: config.postgres.connectTimeoutMs,
  });
}
