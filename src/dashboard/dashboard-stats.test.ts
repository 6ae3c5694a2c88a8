import { describe, expect, it } from 'vitest';
import type { AttemptOutcome, AttemptRecord } from '../routing/attempt.js';
import type { RequestFacts } from '../telemetry/request-facts.js';
import { DashboardStats, OTHER_TASK_TYPES } from './dashboard-stats.js';

const START_MS = 1_700_000_000_000; // a multiple of 5 s

function fakeClock(startMs = START_MS) {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

function attempt(outcome: AttemptOutcome, costUsd = 0): AttemptRecord {
  return {
    tier: 'cheap',
    model: 'm',
    deploymentId: 'cheap/openai/m',
    outcome,
    latencyMs: 1,
    costUsd,
    costEstimated: false,
    usage: null,
  };
}

function facts(overrides: Partial<RequestFacts> = {}): RequestFacts {
  const costUsd = overrides.costUsd ?? 0.001;
  return {
    requestId: 'r',
    taskType: 'classification',
    endpoint: 'route',
    tier: 'cheap',
    model: 'm',
    outcome: 'success',
    latencyMs: 120,
    upstreamMs: 100,
    overheadMs: 20,
    costUsd,
    cacheHit: undefined,
    fallback: false,
    repaired: false,
    hasContract: true,
    attempts: [attempt('success', costUsd)],
    ...overrides,
  };
}

describe('DashboardStats', () => {
  it('reads latency quantiles by interpolating in buckets, as histogram_quantile does', () => {
    const clock = fakeClock();
    const stats = new DashboardStats({ now: clock.now });
    for (let i = 0; i < 100; i++) stats.observe(facts({ latencyMs: 120 }));

    // All in the (100, 150] bucket: the q quantile is 100 + 50 q.
    expect(stats.snapshot().lastFiveMinutes.latencyMs).toEqual({
      p50: 125,
      p95: 147.5,
      p99: 149.5,
    });
  });

  it('gives requests per minute and cost per hour over the time really covered', () => {
    const clock = fakeClock();
    const stats = new DashboardStats({ now: clock.now });
    for (let i = 0; i < 30; i++) {
      stats.observe(facts({ costUsd: 0.002 }));
      clock.advance(1_000);
    }
    const snapshot = stats.snapshot();

    // 30 requests and $0.06 in the 30 s since the start.
    expect(snapshot.lastMinute.spanMs).toBe(30_000);
    expect(snapshot.lastMinute.requestsPerMinute).toBeCloseTo(60, 9);
    expect(snapshot.lastFiveMinutes.costPerHourUsd).toBeCloseTo(7.2, 9);
    expect(snapshot.totals.costUsd).toBeCloseTo(0.06, 12);
  });

  it('lets requests leave the windows while the totals keep them', () => {
    const clock = fakeClock();
    const stats = new DashboardStats({ now: clock.now });
    for (let i = 0; i < 10; i++) stats.observe(facts());
    clock.advance(2 * 60_000);
    stats.observe(facts({ latencyMs: 3 }));

    const later = stats.snapshot();
    expect(later.lastMinute.requests).toBe(1);
    expect(later.lastFiveMinutes.requests).toBe(11);

    clock.advance(5 * 60_000);
    const much = stats.snapshot();
    expect(much.lastMinute.requests).toBe(0);
    expect(much.lastFiveMinutes.requests).toBe(0);
    expect(much.lastFiveMinutes.latencyMs).toEqual({ p50: null, p95: null, p99: null });
    expect(much.totals.requests).toBe(11);
  });

  it('forgets a bucket when its place in the ring comes round again', () => {
    const clock = fakeClock();
    const stats = new DashboardStats({ now: clock.now, bucketMs: 5_000, seriesMs: 60_000 });
    stats.observe(facts());
    // The ring holds 1 + 5 minutes of 5 s buckets: 72 of them; go round once.
    clock.advance(72 * 5_000);
    stats.observe(facts());

    expect(stats.snapshot().lastMinute.requests).toBe(1);
    expect(stats.snapshot().totals.requests).toBe(2);
  });

  it('counts repaired answers as passing and each invalid answer as a failure', () => {
    const clock = fakeClock();
    const stats = new DashboardStats({ now: clock.now });
    stats.observe(facts());
    stats.observe(facts({ repaired: true }));
    // Invalid on the cheap tier, then valid on the re-ask.
    stats.observe(facts({ attempts: [attempt('schema_invalid'), attempt('success')] }));
    // No contract: no verdict.
    stats.observe(facts({ hasContract: false }));
    const { totals, lastMinute } = stats.snapshot();

    expect([totals.valid, totals.repaired, totals.invalid]).toEqual([2, 1, 1]);
    expect(totals.validationSuccessRatio).toBe(0.75);
    expect(lastMinute.validationSuccessRatio).toBe(0.75);
  });

  it('reports fallback and cache hit rates, counting only requests that looked in the cache', () => {
    const clock = fakeClock();
    const stats = new DashboardStats({ now: clock.now });
    stats.observe(facts({ fallback: true, cacheHit: false }));
    stats.observe(facts({ cacheHit: true }));
    stats.observe(facts({ cacheHit: true }));
    stats.observe(facts());
    const { lastFiveMinutes, totals } = stats.snapshot();

    expect(lastFiveMinutes.fallbackRate).toBe(0.25);
    expect(lastFiveMinutes.cacheHitRate).toBeCloseTo(2 / 3, 12);
    expect(totals.cacheLookups).toBe(3);
    expect(totals.errors).toBe(0);
  });

  it('has no ratio at all rather than a zero when nothing was judged', () => {
    const stats = new DashboardStats({ now: fakeClock().now });
    stats.observe(facts({ hasContract: false }));
    const { lastMinute } = stats.snapshot();

    expect(lastMinute.validationSuccessRatio).toBeNull();
    expect(lastMinute.cacheHitRate).toBeNull();
    expect(lastMinute.fallbackRate).toBe(0);
  });

  it('lists the costliest task types first and folds task types past the cap into (other)', () => {
    const clock = fakeClock();
    const stats = new DashboardStats({ now: clock.now, maxTaskTypes: 3, topTaskTypes: 3 });
    stats.observe(facts({ taskType: 'classification', costUsd: 0.001 }));
    stats.observe(facts({ taskType: 'reasoning', costUsd: 0.03 }));
    stats.observe(facts({ taskType: 'extraction', costUsd: 0.004 }));
    stats.observe(facts({ taskType: 'extraction', costUsd: 0.004 }));
    stats.observe(facts({ taskType: 'made-up-1', costUsd: 0.002 }));
    stats.observe(facts({ taskType: 'made-up-2', costUsd: 0.002 }));

    expect(stats.snapshot().taskTypes).toEqual([
      { taskType: 'reasoning', requests: 1, costUsd: 0.03 },
      { taskType: 'extraction', requests: 2, costUsd: 0.008 },
      { taskType: OTHER_TASK_TYPES, requests: 2, costUsd: 0.004 },
    ]);
  });

  it('draws one chart point per bucket since the start, the last one over the last minute', () => {
    const clock = fakeClock();
    const stats = new DashboardStats({ now: clock.now });
    for (let i = 0; i < 24; i++) {
      stats.observe(facts({ latencyMs: i < 12 ? 20 : 300 }));
      clock.advance(5_000);
    }
    clock.advance(-1); // just before the 25th bucket starts
    const { series, lastMinute } = stats.snapshot();

    expect(series.stepMs).toBe(5_000);
    expect(series.points).toHaveLength(24);
    expect(series.points[0]!.atMs).toBe(START_MS + 5_000);
    const last = series.points[series.points.length - 1]!;
    expect(last.atMs).toBe(START_MS + 24 * 5_000 - 1);
    expect(last.requestsPerMinute).toBeCloseTo(lastMinute.requestsPerMinute, 9);
    expect(last.p50Ms).toBe(lastMinute.latencyMs.p50);
    // The first minute was fast, the second slow.
    expect(series.points[11]!.p95Ms).toBeLessThanOrEqual(25);
    expect(last.p50Ms).toBeGreaterThan(250);
  });

  it('refuses a bucket width that does not divide a minute', () => {
    expect(() => new DashboardStats({ bucketMs: 7_000 })).toThrow(/divide one minute/);
  });
});
