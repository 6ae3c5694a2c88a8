import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetWindowRef } from './budget-store.js';
import { RedisBudgetStore } from './redis-budget-store.js';
import { openTestRedis, type TestRedis } from './test-redis.js';

const NOW_MS = 1_800_000_000_000;
const WORST_CASE_USD = 0.031;

let redis: TestRedis;
let replicaA: RedisBudgetStore;
let replicaB: RedisBudgetStore;
let serial = 0;

beforeAll(async () => {
  redis = await openTestRedis({ clients: 2 });
  replicaA = new RedisBudgetStore({ redis: redis.clients[0]!, keyPrefix: redis.prefix });
  replicaB = new RedisBudgetStore({ redis: redis.clients[1]!, keyPrefix: redis.prefix });
});

afterAll(async () => {
  await redis.cleanup();
});

function windows(limitUsd: number | null): BudgetWindowRef[] {
  const retainUntilMs = NOW_MS + 86_400_000;
  return [
    { id: 'day:2027-01-15', limitUsd, retainUntilMs },
    { id: 'month:2027-01', limitUsd: null, retainUntilMs },
  ];
}

function reserveOn(
  store: RedisBudgetStore,
  options: { keyId: string; limitUsd: number; amountUsd: number },
) {
  return store.reserve({
    keyId: options.keyId,
    reservationId: `res_${++serial}`,
    amountUsd: options.amountUsd,
    windows: windows(options.limitUsd),
    expiresAtMs: NOW_MS + 60_000,
    nowMs: NOW_MS,
  });
}

describe('RedisBudgetStore across two replicas', () => {
  it('admits exactly one of 20 concurrent reservations split over both replicas', async () => {
    const keyId = 'key_burst';
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        reserveOn(index % 2 === 0 ? replicaA : replicaB, {
          keyId,
          limitUsd: WORST_CASE_USD,
          amountUsd: WORST_CASE_USD,
        }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    expect(outcomes.filter((outcome) => !outcome.ok)).toHaveLength(19);
  });

  it('admits exactly five of 40 when the budget fits five, whichever replica asks', async () => {
    const keyId = 'key_five';
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        reserveOn(index % 2 === 0 ? replicaA : replicaB, {
          keyId,
          limitUsd: 5 * WORST_CASE_USD,
          amountUsd: WORST_CASE_USD,
        }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(5);
    const usage = await replicaB.usage({ keyId, windowIds: ['day:2027-01-15'], nowMs: NOW_MS });
    expect(usage).toEqual([{ windowId: 'day:2027-01-15', spentUsd: 0, reservedUsd: 0.155 }]);
  });

  it('counts spend settled through one replica in the other replica checks', async () => {
    const keyId = 'key_settle';
    const first = await reserveOn(replicaA, { keyId, limitUsd: 0.05, amountUsd: 0.03 });
    expect(first).toEqual({ ok: true });
    await replicaA.settle({
      keyId,
      reservationId: `res_${serial}`,
      costUsd: 0.02,
      windows: windows(0.05),
      nowMs: NOW_MS,
    });

    expect(await reserveOn(replicaB, { keyId, limitUsd: 0.05, amountUsd: 0.031 })).toEqual({
      ok: false,
      windowId: 'day:2027-01-15',
      limitUsd: 0.05,
      spentUsd: 0.02,
      reservedUsd: 0,
    });
    expect(await reserveOn(replicaB, { keyId, limitUsd: 0.05, amountUsd: 0.03 })).toEqual({
      ok: true,
    });
  });

  it('counts a settle whose reservation had already lapsed', async () => {
    const keyId = 'key_lapsed';
    await replicaA.settle({
      keyId,
      reservationId: 'res_never_made',
      costUsd: 0.25,
      windows: windows(1),
      nowMs: NOW_MS,
    });
    const usage = await replicaB.usage({
      keyId,
      windowIds: ['day:2027-01-15', 'month:2027-01'],
      nowMs: NOW_MS,
    });
    expect(usage.map((window) => window.spentUsd)).toEqual([0.25, 0.25]);
  });

  it('keeps each window under the key hash tag, with an expiry', async () => {
    await reserveOn(replicaA, { keyId: 'key_ttl', limitUsd: 1, amountUsd: 0.01 });
    const name = `${redis.prefix}budget:{key_ttl}:day:2027-01-15`;
    const pttl = await redis.clients[0]!.pttl(name);

    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(86_400_000);
  });
});
