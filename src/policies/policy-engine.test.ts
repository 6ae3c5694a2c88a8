import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../routing/attempt.js';
import type { RequestFacts } from '../telemetry/request-facts.js';
import { resolvePolicyConfig } from './policy-config.js';
import type { PolicyChange } from './policy-change.js';
import { PolicyEngine } from './policy-engine.js';

const TIERS = ['cheap', 'mid', 'heavy'];
const MINI = 'gpt-4o-mini-2024-07-18';

function attempt(extra: Partial<AttemptRecord>): AttemptRecord {
  return {
    tier: 'cheap',
    model: MINI,
    deploymentId: `cheap/openai/${MINI}`,
    outcome: 'success',
    latencyMs: 10,
    costUsd: 0,
    costEstimated: false,
    usage: null,
    ...extra,
  };
}

function facts(attempts: AttemptRecord[], extra: Partial<RequestFacts> = {}): RequestFacts {
  return {
    requestId: 'r',
    taskType: 'extraction',
    endpoint: 'route',
    tier: attempts.at(-1)?.tier ?? 'none',
    model: attempts.at(-1)?.model ?? 'none',
    outcome: 'success',
    latencyMs: 1,
    upstreamMs: 1,
    overheadMs: 0,
    costUsd: 0,
    cacheHit: undefined,
    fallback: false,
    repaired: false,
    hasContract: true,
    attempts,
    ...extra,
  };
}

function engineWith(options: {
  config?: Parameters<typeof resolvePolicyConfig>[0];
  openBreaker?: ConstructorParameters<typeof PolicyEngine>[0]['openBreaker'];
}) {
  const clock = { nowMs: 1_000_000 };
  const changes: PolicyChange[] = [];
  const engine = new PolicyEngine({
    tierOrder: TIERS,
    // These two may go a tier cheaper here; by default no task type may.
    config: resolvePolicyConfig({
      ...options.config,
      latency: { task_types: ['classification', 'extraction'], ...options.config?.latency },
      // Off by default; these tests are about what it does when on.
      cost_cap: { enabled: true, ...options.config?.cost_cap },
    }),
    now: () => clock.nowMs,
    onChange: (change) => changes.push(change),
    ...(options.openBreaker ? { openBreaker: options.openBreaker } : {}),
  });
  return { engine, clock, changes };
}

function observeMid(engine: PolicyEngine, latencyMs: number, times: number): void {
  const mid = attempt({
    tier: 'mid',
    model: 'gpt-4o',
    deploymentId: 'mid/openai/gpt-4o',
    latencyMs,
  });
  for (let i = 0; i < times; i++) engine.observe(facts([mid]));
}

describe('latency downgrade', () => {
  it('sends allowed task types one tier cheaper once p95 passes 200 ms', () => {
    const { engine, changes } = engineWith({});
    observeMid(engine, 300, 20);

    expect(engine.adjustTier('extraction', 'mid')).toBe('cheap');
    expect(engine.adjustTier('classification', 'mid')).toBe('cheap');
    expect(engine.adjustTier('reasoning', 'mid')).toBe('mid');
    expect(engine.adjustTier('extraction', 'heavy')).toBe('heavy');
    expect(changes.map((c) => [c.policy, c.action, c.subject])).toEqual([
      ['latency_downgrade', 'activated', 'mid'],
    ]);
    expect(changes[0]!.details).toMatchObject({
      quantile_ms: 297.5,
      threshold_ms: 200,
      samples: 20,
    });
  });

  it('announces nothing when no task type may move, or the slow tier is the cheapest', () => {
    const { engine, changes } = engineWith({ config: { latency: { task_types: [] } } });
    observeMid(engine, 300, 20);
    expect(engine.adjustTier('extraction', 'mid')).toBe('mid');
    expect(changes).toEqual([]);

    const cheapest = engineWith({});
    const cheap = attempt({ tier: 'cheap', latencyMs: 300 });
    for (let i = 0; i < 20; i++) cheapest.engine.observe(facts([cheap]));
    expect(cheapest.changes).toEqual([]);
  });

  it('decides nothing below the minimum sample count', () => {
    const { engine, changes } = engineWith({});
    observeMid(engine, 300, 19);

    expect(engine.adjustTier('extraction', 'mid')).toBe('mid');
    expect(changes).toEqual([]);
  });

  it('leaves the cheapest tier where it is', () => {
    const { engine } = engineWith({});
    const slow = attempt({ latencyMs: 900 });
    for (let i = 0; i < 20; i++) engine.observe(facts([slow]));

    expect(engine.adjustTier('classification', 'cheap')).toBe('cheap');
  });

  it('recovers when the p95 falls to 90% of the threshold', () => {
    const { engine, changes } = engineWith({});
    observeMid(engine, 300, 20);
    observeMid(engine, 20, 400);

    expect(engine.adjustTier('extraction', 'mid')).toBe('mid');
    expect(changes.map((c) => c.action)).toEqual(['activated', 'cleared']);
  });

  it('recovers once the slow samples have left the 5-minute window', () => {
    const { engine, clock, changes } = engineWith({});
    observeMid(engine, 300, 20);
    expect(engine.adjustTier('extraction', 'mid')).toBe('cheap');

    clock.nowMs += 5 * 60_000;
    expect(engine.adjustTier('extraction', 'mid')).toBe('mid');
    expect(changes.at(-1)).toMatchObject({ action: 'cleared', subject: 'mid' });
  });

  it('honours a per-tier threshold', () => {
    const { engine } = engineWith({ config: { latency: { tier_thresholds_ms: { mid: 500 } } } });
    observeMid(engine, 300, 20);

    expect(engine.adjustTier('extraction', 'mid')).toBe('mid');
  });
});

describe('schema pause', () => {
  const valid = attempt({});
  const invalid = attempt({ outcome: 'schema_invalid' });

  function failMini(engine: PolicyEngine): void {
    for (let i = 0; i < 49; i++) engine.observe(facts([valid]));
    engine.observe(facts([invalid, attempt({ tier: 'mid', model: 'gpt-4o' })]));
    engine.observe(facts([invalid, attempt({ tier: 'mid', model: 'gpt-4o' })]));
  }

  it('pauses a model past 2% failures in 15 minutes with 50 answers seen', () => {
    const { engine, changes } = engineWith({});
    failMini(engine);

    expect(engine.isPaused(MINI)).toBe(true);
    expect(engine.isPaused('gpt-4o')).toBe(false);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      policy: 'schema_pause',
      action: 'activated',
      subject: MINI,
      details: { failures: 2, samples: 51 },
    });
  });

  it('stays open at 1 failure in 60 answers (1.7%)', () => {
    const { engine } = engineWith({});
    for (let i = 0; i < 59; i++) engine.observe(facts([valid]));
    engine.observe(facts([invalid]));

    expect(engine.isPaused(MINI)).toBe(false);
  });

  it('does not count plain chat requests, which have no contract', () => {
    const { engine } = engineWith({ config: { schema: { min_samples: 1 } } });
    engine.observe(facts([invalid], { hasContract: false }));

    expect(engine.isPaused(MINI)).toBe(false);
  });

  it('lets one probe through per minute and resumes when it validates', () => {
    const { engine, clock, changes } = engineWith({});
    failMini(engine);
    clock.nowMs += 59_999;
    expect(engine.isPaused(MINI)).toBe(true);

    clock.nowMs += 1;
    expect(engine.isPaused(MINI)).toBe(false); // this caller sends the probe
    expect(engine.isPaused(MINI)).toBe(true); // everyone else still passes it over
    engine.observe(facts([valid]));

    expect(engine.isPaused(MINI)).toBe(false);
    expect(changes.at(-1)).toMatchObject({
      action: 'cleared',
      reason: 'A probe request validated.',
    });
  });

  it('stays paused after a failed probe until the next interval', () => {
    const { engine, clock } = engineWith({});
    failMini(engine);
    clock.nowMs += 60_000;
    expect(engine.isPaused(MINI)).toBe(false);
    engine.observe(facts([invalid]));

    clock.nowMs += 30_000;
    expect(engine.isPaused(MINI)).toBe(true);
    clock.nowMs += 30_000;
    expect(engine.isPaused(MINI)).toBe(false);
  });

  it('resumes on an operator request and starts counting afresh', () => {
    const { engine } = engineWith({});
    failMini(engine);
    const resumed = engine.resume({ model: MINI });

    expect(resumed.map((c) => c.action)).toEqual(['cleared']);
    expect(engine.isPaused(MINI)).toBe(false);
    expect(engine.list().schema.models.find((m) => m.model === MINI)).toMatchObject({
      paused: false,
      samples: 0,
    });
    expect(engine.resume({ model: MINI })).toEqual([]);
  });
});

describe('cost-cap breaker', () => {
  const skipped = attempt({
    tier: 'heavy',
    model: 'o1',
    deploymentId: 'heavy/openai/o1',
    outcome: 'skipped_cost_cap',
    latencyMs: 0,
  });

  it('opens the breaker of a deployment skipped 5 times in 10 minutes for 5 minutes', async () => {
    const opened: unknown[] = [];
    const { engine, clock } = engineWith({ openBreaker: (input) => void opened.push(input) });
    for (let i = 0; i < 4; i++) engine.observe(facts([skipped], { outcome: 'cost_cap_exceeded' }));
    await engine.flush();
    expect(opened).toEqual([]);

    engine.observe(facts([skipped], { outcome: 'cost_cap_exceeded' }));
    await engine.flush();
    expect(opened).toEqual([
      { deploymentId: 'heavy/openai/o1', untilMs: clock.nowMs + 300_000, nowMs: clock.nowMs },
    ]);
    expect(engine.list().costCap.deployments).toEqual([
      { deploymentId: 'heavy/openai/o1', breaches: 0, openUntilMs: clock.nowMs + 300_000 },
    ]);
  });

  it('does not open for breaches spread wider than the window', async () => {
    const opened: unknown[] = [];
    const { engine, clock } = engineWith({ openBreaker: (input) => void opened.push(input) });
    for (let i = 0; i < 5; i++) {
      engine.observe(facts([skipped]));
      clock.nowMs += 3 * 60_000;
    }
    await engine.flush();

    expect(opened).toEqual([]);
  });

  it('takes the breach count and window from the configuration', async () => {
    const opened: unknown[] = [];
    const { engine } = engineWith({
      config: { cost_cap: { breaches: 2, window_ms: 60_000 } },
      openBreaker: (input) => void opened.push(input),
    });
    engine.observe(facts([skipped]));
    engine.observe(facts([skipped]));
    await engine.flush();

    expect(opened).toHaveLength(1);
  });
});

describe('policy listing', () => {
  it('keeps the latest changes newest first', () => {
    const { engine } = engineWith({});
    observeMid(engine, 300, 20);
    engine.resume({ tier: 'mid' });
    const listing = engine.list();

    expect(listing.recentChanges.map((c) => c.action)).toEqual(['cleared', 'activated']);
    expect(listing.latency.tiers).toEqual([
      { tier: 'mid', thresholdMs: 200, quantileMs: null, samples: 0, degraded: false },
    ]);
  });
});

describe('policy configuration', () => {
  it('names the key at fault', () => {
    expect(() => resolvePolicyConfig({ latency: { threshold_ms: -1 } })).toThrow(
      'policies.latency.threshold_ms: must be a positive number',
    );
    expect(() => resolvePolicyConfig({ schema: { max_failure_rate: 2 } })).toThrow(
      'policies.schema.max_failure_rate: must be a number in (0, 1]',
    );
    expect(() => resolvePolicyConfig({ webhook_url: 'ftp://x' })).toThrow(
      'policies.webhook_url: must be an http(s) URL',
    );
  });

  it('reads an empty webhook URL (an unset variable) as none', () => {
    expect(resolvePolicyConfig({ webhook_url: '' }).webhookUrl).toBeUndefined();
  });
});
