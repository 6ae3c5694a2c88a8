import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestRedis, type TestRedis } from '../state/test-redis.js';
import { BreakerRegistry } from './breaker-registry.js';
import type { BreakerSnapshot } from './breaker-snapshot.js';
import { RedisBreakerStore } from './redis-breaker-store.js';

const T0 = 1_800_000_000_000;
const OPEN: BreakerSnapshot = { state: 'open', openUntilMs: T0 + 5000 };

let redis: TestRedis;
let storeA: RedisBreakerStore;
let storeB: RedisBreakerStore;

beforeAll(async () => {
  redis = await openTestRedis({ clients: 2 });
  storeA = new RedisBreakerStore({ redis: redis.clients[0]!, keyPrefix: redis.prefix });
  storeB = new RedisBreakerStore({ redis: redis.clients[1]!, keyPrefix: redis.prefix });
});

afterAll(async () => {
  await redis.cleanup();
});

function failures(count: number): BreakerSnapshot {
  return { state: 'closed', consecutiveFailures: count, window: [] };
}

function countOf(snapshot: BreakerSnapshot | undefined): number {
  return snapshot?.state === 'closed' ? snapshot.consecutiveFailures : 0;
}

describe('RedisBreakerStore', () => {
  it('gives undefined for a deployment never stored', async () => {
    expect(await storeA.get('never')).toBeUndefined();
  });

  it('shows a snapshot put through one replica to the other', async () => {
    await storeA.put('put/a', OPEN);
    expect(await storeB.get('put/a')).toEqual(OPEN);
  });

  it('loses no update when both replicas update at once', async () => {
    const increment = (store: RedisBreakerStore) =>
      store.update('race/a', (current) => ({
        snapshot: failures(countOf(current) + 1),
        result: 'ok',
      }));
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, index) => increment(index % 2 === 0 ? storeA : storeB)),
    );

    expect(results).toEqual(Array.from({ length: 30 }, () => 'ok'));
    expect(await storeB.get('race/a')).toEqual(failures(30));
  });

  it('runs the change again when another write landed in between, keeping only the last run', async () => {
    const seen: number[] = [];
    const result = await storeA.update('retry/a', (current) => {
      seen.push(countOf(current));
      // Sent on the same connection before the compare-and-set, so Redis
      // runs it first and the first run's write must lose.
      if (seen.length === 1) void storeA.put('retry/a', failures(7));
      return { snapshot: failures(countOf(current) + 1), result: seen.length };
    });

    expect(seen).toEqual([0, 7]);
    expect(result).toBe(2);
    expect(await storeB.get('retry/a')).toEqual(failures(8));
  });

  it('writes nothing when the change leaves the snapshot as it was', async () => {
    await storeA.put('same/a', failures(2));
    await storeA.update('same/a', (current) => ({ snapshot: current!, result: undefined }));
    expect(await redis.clients[0]!.get(`${redis.prefix}breaker:same/a`)).toBe(
      JSON.stringify(failures(2)),
    );
  });

  it('reads a corrupt entry as none and replaces it', async () => {
    await redis.clients[0]!.set(`${redis.prefix}breaker:corrupt/a`, '{"state":"exploded"}');
    expect(await storeA.get('corrupt/a')).toBeUndefined();

    await storeA.update('corrupt/a', (current) => ({
      snapshot: failures(countOf(current) + 1),
      result: 0,
    }));
    expect(await storeB.get('corrupt/a')).toEqual(failures(1));
  });

  it('lists every stored breaker by deployment id', async () => {
    const own = await openTestRedis({ clients: 1 });
    const store = new RedisBreakerStore({ redis: own.clients[0]!, keyPrefix: own.prefix });
    await store.put('b', OPEN);
    await store.update('a', () => ({ snapshot: failures(1), result: undefined }));

    expect(await store.list()).toEqual([
      { deploymentId: 'a', snapshot: failures(1) },
      { deploymentId: 'b', snapshot: OPEN },
    ]);
    await own.cleanup();
  });

  it('opens a breaker through one replica that the other then sees open', async () => {
    const options = { consecutiveFailures: 3, coolDownMs: 1000 };
    const replicaA = new BreakerRegistry({ store: storeA, breaker: options });
    const replicaB = new BreakerRegistry({ store: storeB, breaker: options });
    for (let i = 0; i < 3; i++) await replicaA.record('cheap/openai/gpt-4o-mini', 'failure', T0);

    expect(await replicaB.acquire('cheap/openai/gpt-4o-mini', T0 + 1)).toEqual({
      ok: false,
      reason: 'open',
      untilMs: T0 + 1000,
    });
  });

  it('admits one probe across both replicas once the cool-down is over', async () => {
    const options = { consecutiveFailures: 1, coolDownMs: 1000 };
    const replicaA = new BreakerRegistry({ store: storeA, breaker: options });
    const replicaB = new BreakerRegistry({ store: storeB, breaker: options });
    await replicaA.record('mid/openai/gpt-4o', 'failure', T0);

    const admissions = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        (index % 2 === 0 ? replicaA : replicaB).acquire('mid/openai/gpt-4o', T0 + 1000),
      ),
    );
    expect(admissions.filter((admission) => admission.ok)).toEqual([{ ok: true, probe: true }]);
  });
});
