import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerStateChange } from './circuit-breaker.js';

const T0 = 12_000_000;
const ID = 'anthropic-haiku';

function recordingBreaker(options: { coolDownMs?: number } = {}) {
  const changes: BreakerStateChange[] = [];
  const breaker = new CircuitBreaker({
    deploymentId: ID,
    ...options,
    listener: { onStateChange: (change) => changes.push(change) },
  });
  return { breaker, changes };
}

function failTimes(breaker: CircuitBreaker, count: number, nowMs: number) {
  for (let i = 0; i < count; i += 1) breaker.onFailure(nowMs);
}

describe('CircuitBreaker', () => {
  it('opens after 3 consecutive failures and says so to its listener', () => {
    const { breaker, changes } = recordingBreaker();
    failTimes(breaker, 3, T0);

    expect(breaker.state(T0)).toBe('open');
    expect(breaker.tryAcquire(T0 + 1)).toEqual({
      ok: false,
      reason: 'open',
      untilMs: T0 + 300_000,
    });
    expect(changes).toEqual([
      { deploymentId: ID, from: 'closed', to: 'open', atMs: T0, reason: 'consecutive_failures' },
    ]);
  });

  it('does not open after 2 failures and a success', () => {
    const { breaker, changes } = recordingBreaker();
    failTimes(breaker, 2, T0);
    breaker.onSuccess(T0);
    failTimes(breaker, 2, T0);

    expect(breaker.state(T0)).toBe('closed');
    expect(breaker.tryAcquire(T0)).toEqual({ ok: true, probe: false });
    expect(changes).toEqual([]);
  });

  it('reads as half-open once the 5-minute cool-down has passed', () => {
    const { breaker } = recordingBreaker();
    failTimes(breaker, 3, T0);

    expect(breaker.state(T0 + 299_999)).toBe('open');
    expect(breaker.state(T0 + 300_000)).toBe('half_open');
  });

  it('admits exactly one probe when half-open and refuses concurrent callers', () => {
    const { breaker, changes } = recordingBreaker({ coolDownMs: 1000 });
    failTimes(breaker, 3, T0);

    const admissions = [1, 2, 3].map(() => breaker.tryAcquire(T0 + 1000));
    expect(admissions).toEqual([
      { ok: true, probe: true },
      { ok: false, reason: 'probe_in_flight', untilMs: T0 + 1000 + 60_000 },
      { ok: false, reason: 'probe_in_flight', untilMs: T0 + 1000 + 60_000 },
    ]);
    expect(changes.at(-1)).toEqual({
      deploymentId: ID,
      from: 'open',
      to: 'half_open',
      atMs: T0 + 1000,
      reason: 'cool_down_elapsed',
    });
  });

  it('closes with counters reset when the probe succeeds', () => {
    const { breaker, changes } = recordingBreaker({ coolDownMs: 1000 });
    failTimes(breaker, 3, T0);
    breaker.tryAcquire(T0 + 1000);
    breaker.onSuccess(T0 + 1200);

    expect(breaker.snapshot()).toEqual({ state: 'closed', consecutiveFailures: 0, window: [] });
    failTimes(breaker, 2, T0 + 1300);
    expect(breaker.state(T0 + 1300)).toBe('closed');
    expect(changes.map(({ from, to }) => `${from}->${to}`)).toEqual([
      'closed->open',
      'open->half_open',
      'half_open->closed',
    ]);
  });

  it('opens again for another cool-down when the probe fails', () => {
    const { breaker, changes } = recordingBreaker({ coolDownMs: 1000 });
    failTimes(breaker, 3, T0);
    breaker.tryAcquire(T0 + 1000);
    breaker.onFailure(T0 + 1500);

    expect(breaker.tryAcquire(T0 + 2499)).toEqual({
      ok: false,
      reason: 'open',
      untilMs: T0 + 2500,
    });
    expect(breaker.tryAcquire(T0 + 2500)).toEqual({ ok: true, probe: true });
    expect(changes[2]).toEqual({
      deploymentId: ID,
      from: 'half_open',
      to: 'open',
      atMs: T0 + 1500,
      reason: 'probe_failed',
    });
  });

  it('extends a forced cool-down with a later one and never shortens it', () => {
    const { breaker, changes } = recordingBreaker();
    breaker.forceOpen({ untilMs: T0 + 10_000, nowMs: T0 });
    breaker.forceOpen({ untilMs: T0 + 20_000, nowMs: T0 + 1 });
    breaker.forceOpen({ untilMs: T0 + 5_000, nowMs: T0 + 2 });

    expect(breaker.tryAcquire(T0 + 3)).toEqual({ ok: false, reason: 'open', untilMs: T0 + 20_000 });
    expect(changes).toEqual([
      { deploymentId: ID, from: 'closed', to: 'open', atMs: T0, reason: 'forced' },
    ]);
  });

  it('does not let a forced cool-down shorten a failure cool-down', () => {
    const { breaker } = recordingBreaker();
    failTimes(breaker, 3, T0);
    breaker.forceOpen({ untilMs: T0 + 1000, nowMs: T0 });

    expect(breaker.tryAcquire(T0 + 1000)).toEqual({
      ok: false,
      reason: 'open',
      untilMs: T0 + 300_000,
    });
  });

  it('round-trips its snapshot through JSON into a new breaker', () => {
    const { breaker } = recordingBreaker();
    failTimes(breaker, 3, T0);
    const saved = JSON.parse(JSON.stringify(breaker.snapshot()));

    const revived = new CircuitBreaker({ deploymentId: ID, snapshot: saved });
    expect(revived.snapshot()).toEqual({ state: 'open', openUntilMs: T0 + 300_000 });
    expect(revived.tryAcquire(T0 + 1)).toEqual({
      ok: false,
      reason: 'open',
      untilMs: T0 + 300_000,
    });

    const restored = new CircuitBreaker({ deploymentId: ID });
    restored.restore(saved);
    expect(restored.state(T0 + 1)).toBe('open');
  });

  it('keeps its window in the snapshot when a failure rate is watched', () => {
    const breaker = new CircuitBreaker({ deploymentId: ID, failureRateThreshold: 0.5 });
    breaker.onSuccess(T0);
    breaker.onFailure(T0 + 6000);

    expect(breaker.snapshot()).toEqual({
      state: 'closed',
      consecutiveFailures: 1,
      window: [
        { startMs: T0, successes: 1, failures: 0 },
        { startMs: T0 + 6000, successes: 0, failures: 1 },
      ],
    });
  });

  it('does not share its state with a snapshot it handed out', () => {
    const { breaker } = recordingBreaker();
    const snapshot = breaker.snapshot();
    if (snapshot.state === 'closed') snapshot.consecutiveFailures = 2;
    breaker.onFailure(T0);

    expect(breaker.state(T0)).toBe('closed');
  });
});
