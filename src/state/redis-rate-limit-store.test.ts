import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';
import { SharedRateLimitTracker } from './shared-rate-limit-tracker.js';
import { openTestRedis, type TestRedis } from './test-redis.js';

const T0 = 1_800_000_000_000;

let redis: TestRedis;
let storeA: RedisRateLimitStore;
let storeB: RedisRateLimitStore;

beforeAll(async () => {
  redis = await openTestRedis({ clients: 2 });
  storeA = new RedisRateLimitStore({ redis: redis.clients[0]!, keyPrefix: redis.prefix });
  storeB = new RedisRateLimitStore({ redis: redis.clients[1]!, keyPrefix: redis.prefix });
});

afterAll(async () => {
  await redis.cleanup();
});

describe('RedisRateLimitStore across two replicas', () => {
  it('extends a cool-down for a later deadline and never shortens it for an earlier one', async () => {
    expect(await storeA.coolDown({ deploymentId: 'd1', untilMs: T0 + 5000, nowMs: T0 })).toBe(
      T0 + 5000,
    );
    expect(await storeB.coolDown({ deploymentId: 'd1', untilMs: T0 + 3000, nowMs: T0 })).toBe(
      T0 + 5000,
    );
    expect(await storeB.coolDown({ deploymentId: 'd1', untilMs: T0 + 8000, nowMs: T0 })).toBe(
      T0 + 8000,
    );

    const state = await storeA.exportState();
    expect(state.deployments['d1']).toEqual({ snapshot: {}, coolDownUntilMs: T0 + 8000 });
  });

  it('ends concurrent cool-downs from both replicas at the latest deadline', async () => {
    const deadlines = [7, 3, 9, 1, 12, 4, 11, 2, 8, 5].map((seconds) => T0 + seconds * 1000);
    const replies = await Promise.all(
      deadlines.map((untilMs, index) =>
        (index % 2 === 0 ? storeA : storeB).coolDown({ deploymentId: 'd2', untilMs, nowMs: T0 }),
      ),
    );

    expect(replies.every((reply, index) => reply >= deadlines[index]!)).toBe(true);
    expect((await storeB.exportState()).deployments['d2']?.coolDownUntilMs).toBe(T0 + 12_000);
  });

  it('keeps a fractional deadline exactly as sent', async () => {
    await storeA.coolDown({ deploymentId: 'd3', untilMs: T0 + 0.5, nowMs: T0 });
    expect((await storeB.exportState()).deployments['d3']?.coolDownUntilMs).toBe(T0 + 0.5);
  });

  it('merges figures observed by both replicas, a later value of a field replacing the earlier', async () => {
    await storeA.observe({
      deploymentId: 'd4',
      snapshot: { remainingTokens: 100, tokensResetAtMs: T0 + 60_000, limitTokens: 1000 },
      nowMs: T0,
    });
    await storeB.observe({
      deploymentId: 'd4',
      snapshot: { remainingRequests: 5, remainingTokens: 40 },
      nowMs: T0,
    });

    expect((await storeA.exportState()).deployments['d4']).toEqual({
      snapshot: {
        remainingTokens: 40,
        tokensResetAtMs: T0 + 60_000,
        limitTokens: 1000,
        remainingRequests: 5,
      },
    });
  });

  it('keeps a deployment at least until its cool-down ends, past the retention time', async () => {
    const shortLived = new RedisRateLimitStore({
      redis: redis.clients[0]!,
      keyPrefix: redis.prefix,
      retentionMs: 1000,
    });
    await shortLived.coolDown({ deploymentId: 'd5', untilMs: T0 + 7_200_000, nowMs: T0 });
    const pttl = await redis.clients[0]!.pttl(`${redis.prefix}ratelimit:d5`);

    expect(pttl).toBeGreaterThan(3_600_000);
    expect(pttl).toBeLessThanOrEqual(7_200_000);
  });

  it('forgets a deployment whose figures have expired', async () => {
    const own = await openTestRedis({ clients: 1 });
    const store = new RedisRateLimitStore({ redis: own.clients[0]!, keyPrefix: own.prefix });
    await store.observe({ deploymentId: 'gone', snapshot: { remainingRequests: 1 }, nowMs: T0 });
    await store.observe({ deploymentId: 'kept', snapshot: { remainingRequests: 2 }, nowMs: T0 });
    await own.clients[0]!.del(`${own.prefix}ratelimit:gone`);

    expect(await store.exportState()).toEqual({
      deployments: { kept: { snapshot: { remainingRequests: 2 } } },
    });
    expect(await own.clients[0]!.smembers(`${own.prefix}ratelimits`)).toEqual(['kept']);
    await own.cleanup();
  });

  it('lets a tracker on one replica see the cool-down another replica was given', async () => {
    const options = { logger: silentLogger(), now: () => T0 };
    const trackerA = new SharedRateLimitTracker({ ...options, store: storeA });
    const trackerB = new SharedRateLimitTracker({ ...options, store: storeB });
    trackerA.coolDown('cheap/openai/gpt-4o-mini', T0 + 20_000);
    await trackerA.flush();

    expect(
      trackerB.canAdmit('cheap/openai/gpt-4o-mini', { estimatedTokens: 10, nowMs: T0 }),
    ).toEqual({ ok: true });
    await trackerB.refresh();
    expect(
      trackerB.canAdmit('cheap/openai/gpt-4o-mini', { estimatedTokens: 10, nowMs: T0 }),
    ).toEqual({
      ok: false,
      reason: 'cool_down',
      untilMs: T0 + 20_000,
    });
  });
});
