import type { AuditRecord } from './audit-record.js';

/**
 * Where audit records end up (SQLite, PostgreSQL). The writer owns batching,
 * spooling and retries; a sink only has to write one batch atomically, or
 * throw, and must be idempotent by request id: a batch retried after it partly
 * (or wholly) landed adds no second copy of any record.
 */
export interface AuditSink {
  /** Writes the batch, or throws leaving it for the writer to retry. */
  write(records: AuditRecord[]): Promise<void>;
  /** Releases connections and files; no write follows. */
  close(): Promise<void>;
}
