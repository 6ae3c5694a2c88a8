import { describe, expect, it } from 'vitest';
import { BreakerRegistry } from './breaker-registry.js';
import { MemoryBreakerStore } from './breaker-store.js';
import type { BreakerStateChange } from './circuit-breaker.js';

const T0 = 12_000_000;

function setup() {
  const store = new MemoryBreakerStore();
  const changes: BreakerStateChange[] = [];
  const listener = { onStateChange: (change: BreakerStateChange) => changes.push(change) };
  const options = { consecutiveFailures: 3, coolDownMs: 1000, failureRateThreshold: 0.5 };
  const registry = new BreakerRegistry({ store, breaker: options, listener });
  return { store, registry, changes };
}

describe('BreakerRegistry', () => {
  it('admits a deployment it has never seen, without storing anything', async () => {
    const { registry, store } = setup();
    expect(await registry.acquire('a', T0)).toEqual({ ok: true, probe: false });
    expect(await store.list()).toEqual([]);
  });

  it('opens a deployment after 3 consecutive failures and leaves others closed', async () => {
    const { registry, changes } = setup();
    for (let i = 0; i < 3; i += 1) await registry.record('a', 'failure', T0);

    expect(await registry.acquire('a', T0 + 1)).toEqual({
      ok: false,
      reason: 'open',
      untilMs: T0 + 1000,
    });
    expect(await registry.acquire('b', T0 + 1)).toEqual({ ok: true, probe: false });
    expect(changes).toEqual([
      { deploymentId: 'a', from: 'closed', to: 'open', atMs: T0, reason: 'consecutive_failures' },
    ]);
  });

  it('admits one probe across concurrent acquires when half-open', async () => {
    const { registry } = setup();
    for (let i = 0; i < 3; i += 1) await registry.record('a', 'failure', T0);

    const admissions = await Promise.all([1, 2, 3].map(() => registry.acquire('a', T0 + 1000)));
    expect(admissions.filter((admission) => admission.ok)).toEqual([{ ok: true, probe: true }]);
  });

  it('closes after a successful probe', async () => {
    const { registry, changes } = setup();
    for (let i = 0; i < 3; i += 1) await registry.record('a', 'failure', T0);
    await registry.acquire('a', T0 + 1000);
    await registry.record('a', 'success', T0 + 1100);

    expect(await registry.acquire('a', T0 + 1200)).toEqual({ ok: true, probe: false });
    expect(changes.map((change) => change.reason)).toEqual([
      'consecutive_failures',
      'cool_down_elapsed',
      'probe_succeeded',
    ]);
  });

  it('shares breakers between registries over the same store', async () => {
    const { registry, store } = setup();
    const replica = new BreakerRegistry({ store });
    await registry.forceOpen('a', { untilMs: T0 + 30_000, nowMs: T0 });

    expect(await replica.acquire('a', T0 + 1)).toEqual({
      ok: false,
      reason: 'open',
      untilMs: T0 + 30_000,
    });
  });

  it('lists states and counters for /admin', async () => {
    const { registry } = setup();
    await registry.record('closed-one', 'success', T0);
    await registry.record('closed-one', 'failure', T0 + 1);
    for (let i = 0; i < 3; i += 1) await registry.record('open-one', 'failure', T0);
    for (let i = 0; i < 3; i += 1) await registry.record('probing', 'failure', T0);
    await registry.acquire('probing', T0 + 1000);

    expect(await registry.list(T0 + 500)).toEqual([
      {
        deploymentId: 'closed-one',
        state: 'closed',
        consecutiveFailures: 1,
        windowRequests: 2,
        windowFailures: 1,
      },
      {
        deploymentId: 'open-one',
        state: 'open',
        openUntilMs: T0 + 1000,
        consecutiveFailures: 0,
        windowRequests: 0,
        windowFailures: 0,
      },
      {
        deploymentId: 'probing',
        state: 'half_open',
        probeStartedAtMs: T0 + 1000,
        consecutiveFailures: 0,
        windowRequests: 0,
        windowFailures: 0,
      },
    ]);
  });
});
