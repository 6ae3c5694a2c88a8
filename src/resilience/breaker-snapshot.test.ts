import { describe, expect, it } from 'vitest';
import { breakerStateAt, closedSnapshot, isBreakerSnapshot } from './breaker-snapshot.js';

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
