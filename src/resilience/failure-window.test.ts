import { describe, expect, it } from 'vitest';
import { recordOutcome, windowTotals, type WindowBucket } from './failure-window.js';

const SHAPE = { windowMs: 60_000, buckets: 10 }; // 6 s buckets

function record(window: WindowBucket[], outcome: 'success' | 'failure', nowMs: number) {
  return recordOutcome(window, { ...SHAPE, outcome, nowMs });
}

describe('recordOutcome', () => {
  it('counts outcomes in the bucket their time falls in', () => {
    let window: WindowBucket[] = [];
    window = record(window, 'failure', 1000);
    window = record(window, 'success', 5999);
    window = record(window, 'failure', 6000);

    expect(window).toEqual([
      { startMs: 0, successes: 1, failures: 1 },
      { startMs: 6000, successes: 0, failures: 1 },
    ]);
  });

  it('drops a bucket once its start is a whole window old', () => {
    const window = record([], 'failure', 1000);
    expect(windowTotals(window, { ...SHAPE, nowMs: 59_999 })).toEqual({ requests: 1, failures: 1 });
    expect(windowTotals(window, { ...SHAPE, nowMs: 60_000 })).toEqual({ requests: 0, failures: 0 });
    expect(record(window, 'success', 60_000)).toEqual([
      { startMs: 60_000, successes: 1, failures: 0 },
    ]);
  });

  it('holds at most one bucket per slice however many requests pass', () => {
    let window: WindowBucket[] = [];
    for (let nowMs = 0; nowMs < 120_000; nowMs += 100) window = record(window, 'success', nowMs);

    expect(window).toHaveLength(10);
    expect(windowTotals(window, { ...SHAPE, nowMs: 119_900 })).toEqual({
      requests: 600,
      failures: 0,
    });
  });

  it('files an out-of-order outcome under its own bucket', () => {
    let window = record([], 'success', 13_000);
    window = record(window, 'failure', 7_000);

    expect(window).toEqual([
      { startMs: 6000, successes: 0, failures: 1 },
      { startMs: 12_000, successes: 1, failures: 0 },
    ]);
  });

  it('leaves its input unchanged', () => {
    const window = [{ startMs: 0, successes: 1, failures: 0 }];
    record(window, 'failure', 100);

    expect(window).toEqual([{ startMs: 0, successes: 1, failures: 0 }]);
  });
});
