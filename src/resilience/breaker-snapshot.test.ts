import { describe, expect, it } from 'vitest';
import {
  breakerStateAt,
  closedSnapshot,
  copySnapshot,
  isBreakerSnapshot,
  type BreakerSnapshot,
} from './breaker-snapshot.js';

describe('isBreakerSnapshot', () => {
  it('accepts each state as JSON gives it back', () => {
    const snapshots = [
      closedSnapshot(),
      {
        state: 'closed',
        consecutiveFailures: 2,
        window: [{ startMs: 0, successes: 1, failures: 2 }],
      },
      { state: 'open', openUntilMs: 1000 },
      { state: 'half_open', probeStartedAtMs: 1000 },
    ];
    for (const snapshot of snapshots) {
      expect(isBreakerSnapshot(JSON.parse(JSON.stringify(snapshot)))).toBe(true);
    }
  });

  it('refuses a corrupt or foreign value', () => {
    const values: unknown[] = [
      null,
      'open',
      { state: 'tripped' },
      { state: 'open' },
      { state: 'open', openUntilMs: '1000' },
      { state: 'closed', consecutiveFailures: -1, window: [] },
      { state: 'closed', consecutiveFailures: 0, window: [{ startMs: 0, successes: 1 }] },
      { state: 'half_open', probeStartedAtMs: null },
    ];
    for (const value of values) expect(isBreakerSnapshot(value)).toBe(false);
  });
});

describe('breakerStateAt', () => {
  it('reads an open breaker whose cool-down has passed as half-open', () => {
    expect(breakerStateAt({ state: 'open', openUntilMs: 1000 }, 999)).toBe('open');
    expect(breakerStateAt({ state: 'open', openUntilMs: 1000 }, 1000)).toBe('half_open');
    expect(breakerStateAt(closedSnapshot(), 1000)).toBe('closed');
  });
});

describe('copySnapshot', () => {
  it('copies a closed snapshot deeply: changing the copy leaves the original', () => {
    const original: BreakerSnapshot = {
      state: 'closed',
      consecutiveFailures: 2,
      window: [{ startMs: 1000, successes: 3, failures: 2 }],
    };
    const copy = copySnapshot(original);
    expect(copy).toEqual(original);
    if (copy.state !== 'closed') throw new Error('state changed');
    copy.window[0]!.failures = 9;
    copy.window.push({ startMs: 2000, successes: 1, failures: 0 });
    expect(original).toEqual({
      state: 'closed',
      consecutiveFailures: 2,
      window: [{ startMs: 1000, successes: 3, failures: 2 }],
    });
  });

  it('copies open and half-open snapshots field for field', () => {
    const open: BreakerSnapshot = { state: 'open', openUntilMs: 5000 };
    const halfOpen: BreakerSnapshot = { state: 'half_open', probeStartedAtMs: 7000 };
    expect(copySnapshot(open)).toEqual(open);
    expect(copySnapshot(open)).not.toBe(open);
    expect(copySnapshot(halfOpen)).toEqual(halfOpen);
  });
});
