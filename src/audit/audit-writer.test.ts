import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '../logging/logger.js';
import { sleep } from '../util/clock.js';
import type { AuditRecord } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';
import { testRecord, testRecords } from './audit-test-support.js';
import { AuditWriter, type AuditWriterOptions } from './audit-writer.js';

/** A sink in memory that can be taken down, idempotent by request id like the real ones. */
class FakeSink implements AuditSink {
  up = true;
  calls = 0;
  closed = false;
  batches: string[][] = [];
  readonly stored = new Map<string, AuditRecord>();
  /** Stores this many records of the next batch, then fails (a batch that partly landed). */
  landThenFail = 0;
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  async write(records: AuditRecord[]): Promise<void> {
    this.calls++;
    if (this.landThenFail > 0) {
      for (const record of records.slice(0, this.landThenFail)) {
        this.stored.set(record.requestId, record);
      }
      this.landThenFail = 0;
      throw new Error('connection reset after the insert');
    }
    if (!this.up) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    this.batches.push(records.map((record) => record.requestId));
    for (const record of records) this.stored.set(record.requestId, record);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.stored.size < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Resolves once `count` distinct records are stored. */
  stores(count: number): Promise<void> {
    if (this.stored.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

/** A clock whose sleeps return at once and move time on. */
function steppingClock() {
  let nowMs = 0;
  return { now: () => nowMs, sleep: async (ms: number) => void (nowMs += ms), random: () => 0.5 };
}

const writers: AuditWriter[] = [];
async function openWriter(options: Partial<AuditWriterOptions> & { sink: AuditSink }) {
  const writer = await AuditWriter.open({
    logger: silentLogger(),
    flushIntervalMs: 0,
    closeTimeoutMs: 0,
    ...options,
  });
  writers.push(writer);
  return writer;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(writers.splice(0).map((writer) => writer.close()));
});

describe('AuditWriter', () => {
  it('writes a batch as soon as batchSize records are pending', async () => {
    const sink = new FakeSink();
    const writer = await openWriter({ sink, batchSize: 3 });
    for (const record of testRecords(3)) writer.enqueue(record);
    await sink.stores(3);
    expect(sink.batches).toEqual([['req_r_0', 'req_r_1', 'req_r_2']]);
  });

  it('flushes everything pending in batches of batchSize', async () => {
    const sink = new FakeSink();
    const writer = await openWriter({ sink, batchSize: 3 });
    for (const record of testRecords(7)) writer.enqueue(record);
    expect(await writer.flush()).toEqual({ written: 7, pending: 0 });
    expect(sink.batches.map((batch) => batch.length)).toEqual([3, 3, 1]);
  });

  it('keeps records while the sink fails and writes each once when it is back', async () => {
    const sink = new FakeSink();
    sink.up = false;
    const writer = await openWriter({ sink, batchSize: 200 });
    for (const record of testRecords(5)) writer.enqueue(record);
    expect(await writer.flush()).toEqual({ written: 0, pending: 5 });
    expect(writer.stats()).toMatchObject({ pending: 5, written: 0, failedWrites: 1 });

    sink.up = true;
    expect(await writer.flush()).toEqual({ written: 5, pending: 0 });
    expect(sink.batches).toEqual([['req_r_0', 'req_r_1', 'req_r_2', 'req_r_3', 'req_r_4']]);
    expect(writer.stats().consecutiveFailures).toBe(0);
  });

  it('retries a batch that partly landed, and the idempotent sink holds each record once', async () => {
    const sink = new FakeSink();
    sink.landThenFail = 2;
    const writer = await openWriter({ sink, batchSize: 200 });
    for (const record of testRecords(4)) writer.enqueue(record);
    expect(await writer.flush()).toEqual({ written: 0, pending: 4 });
    expect(sink.stored.size).toBe(2);
    expect(await writer.flush()).toEqual({ written: 4, pending: 0 });
    expect([...sink.stored.keys()]).toEqual(['req_r_0', 'req_r_1', 'req_r_2', 'req_r_3']);
  });

  it('drops the oldest records past maxSpooledRecords, counts and logs them', async () => {
    const sink = new FakeSink();
    sink.up = false;
    const { logger, lines } = captureLogger();
    const writer = await openWriter({ sink, logger, maxSpooledRecords: 5, batchSize: 2 });
    for (const record of testRecords(8)) writer.enqueue(record);
    expect(writer.stats()).toMatchObject({ pending: 5, dropped: 3 });
    const drops = lines.filter((line) => String(line.msg).includes('records dropped'));
    // The first drop is logged at once; later ones within the minute are summed quietly.
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ dropped: 1, dropped_total: 1, max_spooled_records: 5 });

    sink.up = true;
    await writer.flush();
    expect([...sink.stored.keys()]).toEqual([
      'req_r_3',
      'req_r_4',
      'req_r_5',
      'req_r_6',
      'req_r_7',
    ]);
  });

  it('never throws from enqueue, and counts records enqueued after close as dropped', async () => {
    const sink = new FakeSink();
    const writer = await openWriter({ sink });
    await writer.close();
    expect(() => writer.enqueue(testRecord({ requestId: 'req_late' }))).not.toThrow();
    expect(writer.stats().dropped).toBe(1);
    expect(sink.stored.size).toBe(0);
  });

  it('waits out the backoff before retrying from the timer', async () => {
    vi.useFakeTimers({ now: 0 });
    const sink = new FakeSink();
    sink.up = false;
    const writer = await openWriter({
      sink,
      flushIntervalMs: 1000,
      retryBaseDelayMs: 4000,
      // Full jitter at 0.5: the first retry waits 2000 ms.
      clock: { now: () => Date.now(), sleep, random: () => 0.5 },
    });
    writer.enqueue(testRecord({ requestId: 'req_backoff' }));

    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.calls).toBe(1);
    sink.up = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.calls).toBe(2);
    expect(writer.stats()).toMatchObject({ pending: 0, written: 1 });
  });

  it('drains pending records on close and closes the sink', async () => {
    const sink = new FakeSink();
    const writer = await openWriter({ sink });
    for (const record of testRecords(3)) writer.enqueue(record);
    await writer.close();
    expect(sink.stored.size).toBe(3);
    expect(sink.closed).toBe(true);
  });

  it('gives up on a dead sink after closeTimeoutMs and says how many were lost', async () => {
    const sink = new FakeSink();
    sink.up = false;
    const { logger, lines } = captureLogger();
    const writer = await openWriter({
      sink,
      logger,
      closeTimeoutMs: 10_000,
      retryBaseDelayMs: 1000,
      clock: steppingClock(),
    });
    for (const record of testRecords(2)) writer.enqueue(record);
    await writer.close();
    // Attempts at 0, 500, 1500, 3500, 7500 ms (waits of 500, 1000, 2000, 4000), then 10 000.
    expect(sink.calls).toBe(6);
    expect(lines.find((line) => String(line.msg).includes('records lost'))).toMatchObject({
      lost: 2,
    });
    expect(sink.closed).toBe(true);
  });

  it('keeps spooled records in the spool file across a restart', async () => {
    const spoolFile = join(mkdtempSync(join(tmpdir(), 'switchyard-spool-')), 'audit.jsonl');
    const down = new FakeSink();
    down.up = false;
    const first = await openWriter({ sink: down, spoolFile });
    for (const record of testRecords(4)) first.enqueue(record);
    await first.flush();
    await first.close();
    expect(readFileSync(spoolFile, 'utf8').trim().split('\n')).toHaveLength(4);

    const up = new FakeSink();
    const second = await openWriter({ sink: up, spoolFile });
    expect(second.stats().pending).toBe(4);
    expect(await second.flush()).toEqual({ written: 4, pending: 0 });
    expect([...up.stored.keys()]).toEqual(['req_r_0', 'req_r_1', 'req_r_2', 'req_r_3']);
    expect(readFileSync(spoolFile, 'utf8')).toBe('');
  });

  it('skips a torn last line of the spool file and recovers the rest', async () => {
    const spoolFile = join(mkdtempSync(join(tmpdir(), 'switchyard-spool-')), 'audit.jsonl');
    const [a, b] = testRecords(2);
    writeFileSync(spoolFile, `${JSON.stringify(a)}\n${JSON.stringify(b)}\n{"requestId":"req_to`);
    const sink = new FakeSink();
    const writer = await openWriter({ sink, spoolFile });
    await writer.flush();
    expect([...sink.stored.keys()]).toEqual(['req_r_0', 'req_r_1']);
  });

  it('rewrites a spool file grown past twice the bound to the records still held', async () => {
    const spoolFile = join(mkdtempSync(join(tmpdir(), 'switchyard-spool-')), 'audit.jsonl');
    const sink = new FakeSink();
    sink.up = false;
    const writer = await openWriter({ sink, spoolFile, maxSpooledRecords: 3, batchSize: 3 });
    const records = testRecords(9);
    for (let round = 0; round < 3; round++) {
      for (const record of records.slice(round * 3, round * 3 + 3)) writer.enqueue(record);
      await writer.flush();
    }
    expect(readFileSync(spoolFile, 'utf8').trim().split('\n')).toHaveLength(9);
    await writer.flush();
    const kept = readFileSync(spoolFile, 'utf8').trim().split('\n');
    expect(kept.map((line) => (JSON.parse(line) as AuditRecord).requestId)).toEqual([
      'req_r_6',
      'req_r_7',
      'req_r_8',
    ]);
  });
});

describe('AuditWriter with metadata that is not JSON', () => {
  it('writes the batch, with the bad metadata replaced by a marker', async () => {
    const sink = new FakeSink();
    const { logger, lines } = captureLogger();
    const writer = await openWriter({ sink, logger, batchSize: 10 });
    const cyclic: Record<string, unknown> = { team: 'a' };
    cyclic.self = cyclic;
    // Deeper than any serialiser's stack, as a hostile client could send.
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    writer.enqueue(testRecord({ requestId: 'req_cyclic', metadata: cyclic }));
    writer.enqueue(testRecord({ requestId: 'req_deep', metadata: deep }));
    writer.enqueue(testRecord({ requestId: 'req_fine', metadata: { team: 'b' } }));
    await writer.close();

    expect([...sink.stored.keys()].sort()).toEqual(['req_cyclic', 'req_deep', 'req_fine']);
    expect(sink.stored.get('req_cyclic')!.metadata).toEqual({ unserialisable: true });
    expect(sink.stored.get('req_deep')!.metadata).toEqual({ unserialisable: true });
    expect(sink.stored.get('req_fine')!.metadata).toEqual({ team: 'b' });
    expect(
      lines
        .filter((l) => String(l.msg).includes('metadata cannot be written'))
        .map((l) => l.request_id),
    ).toEqual(['req_cyclic', 'req_deep']);
  });
});
