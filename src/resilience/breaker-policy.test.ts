import { describe, expect, it } from 'vitest';
import {
  acquireBreaker,
  forceBreakerOpen,
  recordBreakerOutcome,
  type BreakerOptions,
  type BreakerStep,
} from './breaker-policy.js';
import { closedSnapshot, type BreakerSnapshot } from './breaker-snapshot.js';

const T0 = 12_000_000; // a multiple of the default 6 s window bucket

function fail(snapshot: BreakerSnapshot, nowMs: number, options?: BreakerOptions) {
  return recordBreakerOutcome(snapshot, { outcome: 'failure', nowMs, options });
}

function succeed(snapshot: BreakerSnapshot, nowMs: number, options?: BreakerOptions) {
  return recordBreakerOutcome(snapshot, { outcome: 'success', nowMs, options });
}

describe('acquireBreaker', () => {
  it('admits while closed, as no probe', () => {
    const step = acquireBreaker(closedSnapshot(), { nowMs: T0 });
    expect(step).toEqual({ snapshot: closedSnapshot(), admission: { ok: true, probe: false } });
  });

  it('refuses while open, until the cool-down ends', () => {
    const open: BreakerSnapshot = { state: 'open', openUntilMs: T0 + 1000 };
    expect(acquireBreaker(open, { nowMs: T0 + 999 })).toEqual({
      snapshot: open,
      admission: { ok: false, reason: 'open', untilMs: T0 + 1000 },
    });
  });

  it('admits one probe once the cool-down ends, turning half-open', () => {
    const open: BreakerSnapshot = { state: 'open', openUntilMs: T0 };
    expect(acquireBreaker(open, { nowMs: T0 })).toEqual({
      snapshot: { state: 'half_open', probeStartedAtMs: T0 },
      admission: { ok: true, probe: true },
      transition: { from: 'open', to: 'half_open', reason: 'cool_down_elapsed' },
    });
  });

  it('refuses other callers while the probe is out', () => {
    const halfOpen: BreakerSnapshot = { state: 'half_open', probeStartedAtMs: T0 };
    expect(acquireBreaker(halfOpen, { nowMs: T0 + 59_999 })).toEqual({
      snapshot: halfOpen,
      admission: { ok: false, reason: 'probe_in_flight', untilMs: T0 + 60_000 },
    });
  });

  it('admits a new probe when the last one never reported back', () => {
    const halfOpen: BreakerSnapshot = { state: 'half_open', probeStartedAtMs: T0 };
    const options = { probeTimeoutMs: 5000 };
    expect(acquireBreaker(halfOpen, { nowMs: T0 + 5000, options })).toEqual({
      snapshot: { state: 'half_open', probeStartedAtMs: T0 + 5000 },
      admission: { ok: true, probe: true },
    });
  });
});

describe('recordBreakerOutcome', () => {
  it('opens after 3 consecutive failures', () => {
    let snapshot = closedSnapshot();
    snapshot = fail(snapshot, T0).snapshot;
    snapshot = fail(snapshot, T0 + 1).snapshot;
    const step = fail(snapshot, T0 + 2);

    expect(step).toEqual({
      snapshot: { state: 'open', openUntilMs: T0 + 2 + 300_000 },
      transition: { from: 'closed', to: 'open', reason: 'consecutive_failures' },
    });
  });

  it('does not open after 2 failures, a success and another failure', () => {
    let snapshot = closedSnapshot();
    snapshot = fail(snapshot, T0).snapshot;
    snapshot = fail(snapshot, T0 + 1).snapshot;
    snapshot = succeed(snapshot, T0 + 2).snapshot;
    const step = fail(snapshot, T0 + 3);

    expect(step).toEqual({
      snapshot: { state: 'closed', consecutiveFailures: 1, window: [] },
    });
  });

  it('takes its own consecutive-failure count and cool-down', () => {
    const options = { consecutiveFailures: 1, coolDownMs: 1000 };
    expect(fail(closedSnapshot(), T0, options).snapshot).toEqual({
      state: 'open',
      openUntilMs: T0 + 1000,
    });
  });

  it('closes when the probe succeeds, with counters reset', () => {
    const halfOpen: BreakerSnapshot = { state: 'half_open', probeStartedAtMs: T0 };
    expect(succeed(halfOpen, T0 + 50)).toEqual({
      snapshot: { state: 'closed', consecutiveFailures: 0, window: [] },
      transition: { from: 'half_open', to: 'closed', reason: 'probe_succeeded' },
    });
  });

  it('opens for another cool-down when the probe fails', () => {
    const halfOpen: BreakerSnapshot = { state: 'half_open', probeStartedAtMs: T0 };
    expect(fail(halfOpen, T0 + 50)).toEqual({
      snapshot: { state: 'open', openUntilMs: T0 + 50 + 300_000 },
      transition: { from: 'half_open', to: 'open', reason: 'probe_failed' },
    });
  });

  it('ignores late outcomes while open', () => {
    const open: BreakerSnapshot = { state: 'open', openUntilMs: T0 + 1000 };
    expect(fail(open, T0)).toEqual({ snapshot: open });
    expect(succeed(open, T0)).toEqual({ snapshot: open });
  });
});

describe('recordBreakerOutcome with a failure-rate threshold', () => {
  const options: BreakerOptions = {
    consecutiveFailures: 100,
    failureRateThreshold: 0.5,
    minimumRequests: 10,
  };

  /** Records outcomes one millisecond apart from `T0`. */
  function replay(outcomes: string) {
    let step: BreakerStep = { snapshot: closedSnapshot() };
    [...outcomes].forEach((mark, index) => {
      const outcome = mark === 'F' ? 'failure' : 'success';
      step = recordBreakerOutcome(step.snapshot, { outcome, nowMs: T0 + index, options });
    });
    return step;
  }

  it('opens when more than half of 10 requests in the window failed', () => {
    expect(replay('SFSFSFSFFF')).toEqual({
      snapshot: { state: 'open', openUntilMs: T0 + 9 + 300_000 },
      transition: { from: 'closed', to: 'open', reason: 'failure_rate' },
    });
  });

  it('stays closed at exactly half failed', () => {
    expect(replay('SFSFSFSSFF').snapshot).toEqual({
      state: 'closed',
      consecutiveFailures: 2,
      window: [{ startMs: T0, successes: 5, failures: 5 }],
    });
  });

  it('stays closed below the minimum number of requests', () => {
    expect(replay('SFSFFFFFF').snapshot.state).toBe('closed');
  });

  it('forgets failures that have left the window', () => {
    let snapshot = replay('FFFFFFFFF').snapshot; // 9 failures at T0…T0+8
    snapshot = succeed(snapshot, T0 + 60_000, options).snapshot;

    expect(fail(snapshot, T0 + 60_001, options).snapshot).toEqual({
      state: 'closed',
      consecutiveFailures: 1,
      window: [{ startMs: T0 + 60_000, successes: 1, failures: 1 }],
    });
  });

  it('keeps no window when no rate is watched', () => {
    expect(fail(closedSnapshot(), T0).snapshot).toEqual({
      state: 'closed',
      consecutiveFailures: 1,
      window: [],
    });
  });
});

describe('forceBreakerOpen', () => {
  it('opens a closed breaker until the given time', () => {
    expect(forceBreakerOpen(closedSnapshot(), { untilMs: T0 + 30_000, nowMs: T0 })).toEqual({
      snapshot: { state: 'open', openUntilMs: T0 + 30_000 },
      transition: { from: 'closed', to: 'open', reason: 'forced' },
    });
  });

  it('extends an open deadline with a later one', () => {
    const open: BreakerSnapshot = { state: 'open', openUntilMs: T0 + 1000 };
    expect(forceBreakerOpen(open, { untilMs: T0 + 9000, nowMs: T0 })).toEqual({
      snapshot: { state: 'open', openUntilMs: T0 + 9000 },
    });
  });

  it('never shortens an open deadline', () => {
    const open: BreakerSnapshot = { state: 'open', openUntilMs: T0 + 9000 };
    expect(forceBreakerOpen(open, { untilMs: T0 + 1000, nowMs: T0 })).toEqual({
      snapshot: { state: 'open', openUntilMs: T0 + 9000 },
    });
  });

  it('reopens a half-open breaker, so that the probe result is ignored', () => {
    const halfOpen: BreakerSnapshot = { state: 'half_open', probeStartedAtMs: T0 };
    const step = forceBreakerOpen(halfOpen, { untilMs: T0 + 5000, nowMs: T0 + 10 });
    expect(step).toEqual({
      snapshot: { state: 'open', openUntilMs: T0 + 5000 },
      transition: { from: 'half_open', to: 'open', reason: 'forced' },
    });
    expect(succeed(step.snapshot, T0 + 20).snapshot).toEqual(step.snapshot);
  });

  it('changes nothing for a deadline already past', () => {
    expect(forceBreakerOpen(closedSnapshot(), { untilMs: T0, nowMs: T0 })).toEqual({
      snapshot: closedSnapshot(),
    });
  });
});
