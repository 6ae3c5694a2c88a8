import type { Logger } from '../logging/logger.js';
import { fullJitterDelayMs } from '../resilience/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import { withWritableMetadata, type AuditRecord } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';
import { RecordQueue } from './record-queue.js';
import { SpoolFile } from './spool-file.js';

export interface AuditWriterOptions {
  sink: AuditSink;
  logger: Logger;
  /** How often pending records are written; 0 turns the timer off. Default 1000. */
  flushIntervalMs?: number;
  /** Records per sink write; reaching it starts a write at once. Default 200. */
  batchSize?: number;
  /** The most records kept in memory while the sink is down. Default 100 000. */
  maxSpooledRecords?: number;
  /** A JSONL file that keeps spooled records across a restart; none by default. */
  spoolFile?: string;
  /** Backoff between failed writes: full jitter from 1000 ms, up to 30 000 ms. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** How long `close` keeps retrying a failing sink. Default 10 000. */
  closeTimeoutMs?: number;
  clock?: Pick<Clock, 'now' | 'sleep' | 'random'>;
}

export interface AuditWriterStats {
  /** Records held in memory, waiting for the sink. */
  pending: number;
  written: number;
  /** Records lost to the spool's bound, or enqueued after `close`. */
  dropped: number;
  failedWrites: number;
  /** Failed writes since the last success; 0 while the sink is healthy. */
  consecutiveFailures: number;
}

export interface FlushResult {
  /** Records written between the call and its end (a write under way included). */
  written: number;
  /** Records still waiting, because the sink failed. */
  pending: number;
}

interface Entry {
  record: AuditRecord;
  /** Whether this record is already in the spool file. */
  spooled: boolean;
}

const DROP_LOG_INTERVAL_MS = 60_000;
const MAX_CLOSE_ATTEMPTS = 100;

/**
 * Takes audit records off the request path and writes them in batches. A
 * failing sink does not lose them: they wait in a bounded queue (and the
 * spool file, if configured) and are retried with backoff until the sink is
 * back. Only one write is in flight at a time, and the sinks' inserts are
 * idempotent by request id, so a retried batch lands once.
 *
 * Records enqueued since the last write and not yet in the spool file are
 * lost if the process dies without `close` (a crash or SIGKILL); that is at
 * most one flush interval's worth while the sink is healthy.
 */
export class AuditWriter {
  readonly #sink: AuditSink;
  readonly #logger: Logger;
  readonly #clock: Pick<Clock, 'now' | 'sleep' | 'random'>;
  readonly #batchSize: number;
  readonly #maxRecords: number;
  readonly #retryBaseDelayMs: number;
  readonly #retryMaxDelayMs: number;
  readonly #closeTimeoutMs: number;
  readonly #spool: SpoolFile | undefined;
  readonly #queue = new RecordQueue<Entry>();
  #inFlight: Entry[] = [];
  #chain: Promise<void> = Promise.resolve();
  #drainScheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #written = 0;
  #dropped = 0;
  #droppedSinceLog = 0;
  #lastDropLogMs = -Infinity;
  #failedWrites = 0;
  #consecutiveFailures = 0;
  #nextAttemptMs = 0;
  #spooledUnwritten = 0;

  private constructor(options: AuditWriterOptions) {
    this.#sink = options.sink;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#maxRecords = Math.max(1, options.maxSpooledRecords ?? 100_000);
    // A batch larger than the bound could never be put back whole after a failure.
    this.#batchSize = Math.min(Math.max(1, options.batchSize ?? 200), this.#maxRecords);
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? 1000;
    this.#retryMaxDelayMs = options.retryMaxDelayMs ?? 30_000;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.#spool = options.spoolFile ? new SpoolFile(options.spoolFile) : undefined;
  }

  /**
   * A writer with the spool file's records (left by an earlier process)
   * queued first, and its flush timer started.
   */
  static async open(options: AuditWriterOptions): Promise<AuditWriter> {
    const writer = new AuditWriter(options);
    await writer.#recoverSpool();
    const intervalMs = options.flushIntervalMs ?? 1000;
    if (intervalMs > 0) {
      writer.#timer = setInterval(() => writer.#onTick(), intervalMs);
      // The audit log never keeps a process alive on its own.
      writer.#timer.unref();
    }
    return writer;
  }

  /** Queues a record for writing. Synchronous, and never throws. */
  enqueue(record: AuditRecord): void {
    try {
      if (this.#closing) {
        this.#drop(1);
        return;
      }
      const writable = withWritableMetadata(record, (error) =>
        this.#logger.warn(
          { err: error, request_id: record.requestId },
          'audit: metadata cannot be written as JSON; recorded as unserialisable',
        ),
      );
      this.#queue.push({ record: writable, spooled: false });
      this.#enforceBound();
      if (this.#queue.length >= this.#batchSize) this.#scheduleDrain();
    } catch (error) {
      // Nothing here should throw; if it does, the request must not notice.
      this.#logger.error({ err: error }, 'audit: enqueue failed');
    }
  }

  /**
   * Writes everything pending now, ignoring the backoff, and stops at the
   * first failure. Never rejects; `pending` says what is left.
   */
  async flush(): Promise<FlushResult> {
    const before = this.#written;
    await this.#run(() => this.#drain({ force: true }));
    return { written: this.#written - before, pending: this.pendingCount() };
  }

  /**
   * Stops the timer, drains what is pending (retrying a failing sink for up
   * to `closeTimeoutMs`), leaves what remains in the spool file, and closes
   * the sink. Records enqueued afterwards are dropped and counted. A write
   * that hangs is bounded by the sink's own timeouts, not by this one.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  stats(): AuditWriterStats {
    return {
      pending: this.pendingCount(),
      written: this.#written,
      dropped: this.#dropped,
      failedWrites: this.#failedWrites,
      consecutiveFailures: this.#consecutiveFailures,
    };
  }

  pendingCount(): number {
    return this.#queue.length + this.#inFlight.length;
  }

  async #recoverSpool(): Promise<void> {
    if (!this.#spool) return;
    const { records, unreadableLines } = await this.#spool.load();
    if (unreadableLines > 0) {
      this.#logger.warn(
        { spool_file: this.#spool.path, unreadable_lines: unreadableLines },
        'audit: skipped unreadable lines in the spool file',
      );
    }
    if (records.length === 0) return;
    for (const record of records) this.#queue.push({ record, spooled: true });
    this.#spooledUnwritten = records.length;
    this.#enforceBound();
    this.#logger.info(
      { spool_file: this.#spool.path, records: this.#queue.length },
      'audit: recovered spooled records from an earlier run',
    );
  }

  #onTick(): void {
    if (this.#closing || this.#drainScheduled) return;
    if (this.#queue.length === 0) return;
    this.#drainScheduled = true;
    void this.#run(async () => {
      this.#drainScheduled = false;
      if (this.#clock.now() >= this.#nextAttemptMs) await this.#drain({ force: false });
      // Still down: keep the spool file current between retries.
      else await this.#spoolPending();
    });
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    // While backing off, the timer retries when it is time.
    if (this.#clock.now() < this.#nextAttemptMs) return;
    this.#drainScheduled = true;
    void this.#run(async () => {
      this.#drainScheduled = false;
      await this.#drain({ force: false });
    });
  }

  /** Runs tasks one after another, so at most one write is ever in flight. */
  #run(task: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(task).catch((error: unknown) => {
      this.#logger.error({ err: error }, 'audit: writer task failed');
    });
    this.#chain = next;
    return next;
  }

  /** Writes batches until the queue is empty or the sink fails. */
  async #drain(options: { force: boolean }): Promise<void> {
    // Bounded: each pass removes a batch from the queue or returns.
    while (this.#queue.length > 0) {
      if (!options.force && this.#clock.now() < this.#nextAttemptMs) return;
      const batch = this.#queue.take(this.#batchSize);
      this.#inFlight = batch;
      try {
        await this.#sink.write(batch.map((entry) => entry.record));
      } catch (error) {
        this.#inFlight = [];
        this.#queue.unshiftAll(batch);
        this.#enforceBound();
        this.#onWriteFailed(error);
        await this.#spoolPending();
        return;
      }
      this.#inFlight = [];
      await this.#onWritten(batch);
    }
  }

  async #onWritten(batch: Entry[]): Promise<void> {
    this.#written += batch.length;
    for (const entry of batch) if (entry.spooled) this.#spooledUnwritten--;
    if (this.#consecutiveFailures > 0) {
      this.#logger.info(
        { failed_writes: this.#consecutiveFailures, pending: this.pendingCount() },
        'audit: sink is writable again',
      );
    }
    this.#consecutiveFailures = 0;
    this.#nextAttemptMs = 0;
    if (this.#spool && this.#spooledUnwritten === 0 && this.#spool.lineCount > 0) {
      await this.#spoolTask(() => this.#spool!.clear());
    }
  }

  #onWriteFailed(error: unknown): void {
    this.#failedWrites++;
    this.#consecutiveFailures++;
    const delayMs = fullJitterDelayMs({
      attempt: this.#consecutiveFailures - 1,
      baseMs: this.#retryBaseDelayMs,
      capMs: this.#retryMaxDelayMs,
      random: this.#clock.random,
    });
    this.#nextAttemptMs = this.#clock.now() + delayMs;
    this.#logger.warn(
      {
        err: error,
        pending: this.pendingCount(),
        consecutive_failures: this.#consecutiveFailures,
        retry_in_ms: Math.round(delayMs),
      },
      'audit: sink write failed; records are kept and retried',
    );
  }

  /** Appends the records not yet in the spool file; compacts an outgrown file. */
  async #spoolPending(): Promise<void> {
    const spool = this.#spool;
    if (!spool) return;
    if (spool.lineCount > 2 * this.#maxRecords) {
      // Dropped records still sit in the file; rewrite it from memory.
      const entries = this.#queue.toArray();
      await this.#spoolTask(() => spool.rewrite(entries.map((entry) => entry.record)));
      for (const entry of entries) entry.spooled = true;
      this.#spooledUnwritten = entries.length;
      return;
    }
    // Records not yet spooled are always the newest: scan from the back.
    const fresh: Entry[] = [];
    for (let i = 0; i < this.#queue.length; i++) {
      const entry = this.#queue.fromBack(i);
      if (!entry || entry.spooled) break;
      fresh.push(entry);
    }
    if (fresh.length === 0) return;
    fresh.reverse();
    const ok = await this.#spoolTask(() => spool.append(fresh.map((entry) => entry.record)));
    if (!ok) return;
    for (const entry of fresh) entry.spooled = true;
    this.#spooledUnwritten += fresh.length;
  }

  /** A spool file operation; a failing disk is logged, never fatal. */
  async #spoolTask(task: () => Promise<void>): Promise<boolean> {
    try {
      await task();
      return true;
    } catch (error) {
      this.#logger.error(
        { err: error, spool_file: this.#spool?.path },
        'audit: spool file write failed; records are kept in memory only',
      );
      return false;
    }
  }

  /** Drops the oldest records past the bound, counting every one. */
  #enforceBound(): void {
    const excess = this.pendingCount() - this.#maxRecords;
    if (excess <= 0) return;
    const dropped = this.#queue.take(excess);
    for (const entry of dropped) if (entry.spooled) this.#spooledUnwritten--;
    this.#drop(dropped.length);
  }

  #drop(count: number): void {
    this.#dropped += count;
    this.#droppedSinceLog += count;
    const nowMs = this.#clock.now();
    // One line a minute at most, however fast records are lost.
    if (nowMs - this.#lastDropLogMs < DROP_LOG_INTERVAL_MS) return;
    this.#logger.error(
      {
        dropped: this.#droppedSinceLog,
        dropped_total: this.#dropped,
        max_spooled_records: this.#maxRecords,
      },
      'audit: records dropped (the spool is full or the writer is closed)',
    );
    this.#droppedSinceLog = 0;
    this.#lastDropLogMs = nowMs;
  }

  async #shutDown(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    const deadlineMs = this.#clock.now() + this.#closeTimeoutMs;
    await this.#run(() => this.#drainUntil(deadlineMs));
    await this.#run(() => this.#leaveRemainder());
    try {
      await this.#sink.close();
    } catch (error) {
      this.#logger.warn({ err: error }, 'audit: closing the sink failed');
    }
  }

  async #drainUntil(deadlineMs: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_CLOSE_ATTEMPTS; attempt++) {
      await this.#drain({ force: true });
      const leftMs = deadlineMs - this.#clock.now();
      if (this.#queue.length === 0 || leftMs <= 0) return;
      await this.#clock.sleep(
        Math.min(Math.max(this.#nextAttemptMs - this.#clock.now(), 0), leftMs),
      );
    }
  }

  async #leaveRemainder(): Promise<void> {
    const left = this.#queue.length;
    if (left === 0) return;
    if (this.#spool) {
      await this.#spoolPending();
      this.#logger.warn(
        { pending: left, spool_file: this.#spool.path },
        'audit: sink unreachable at shutdown; records left in the spool file for the next start',
      );
      return;
    }
    this.#logger.error(
      { lost: left },
      'audit: sink unreachable at shutdown and no spool file is configured; records lost',
    );
  }
}
