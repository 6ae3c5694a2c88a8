import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { silentLogger } from '../logging/logger.js';
import { logLines } from '../test-support/log-lines.js';
import { openTestRedis, TEST_REDIS_URL, type TestRedis } from '../state/test-redis.js';
import type { CachedResponse } from './cached-response.js';
import { RedisResponseCache } from './redis-response-cache.js';

const ANSWER: CachedResponse = {
  model: 'gpt-4o-mini-2024-07-18',
  tier: 'cheap',
  deploymentId: 'cheap/openai/gpt-4o-mini-2024-07-18',
  text: '{"label":"negative"}',
  payload: { label: 'negative' },
  repaired: true,
  finishReason: 'stop',
  usage: {
    inputTokens: 60,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 6,
    reasoningTokens: 0,
  },
  originalCostUsd: 0.0000126,
  storedAtMs: 1_700_000_000_000,
};

let redis: TestRedis;
let replicaA: RedisResponseCache;
let replicaB: RedisResponseCache;

beforeAll(async () => {
  redis = await openTestRedis({ clients: 2 });
  const keyPrefix = `${redis.prefix}cache:`;
  const logger = silentLogger();
  replicaA = new RedisResponseCache({ redis: redis.clients[0]!, keyPrefix, logger });
  replicaB = new RedisResponseCache({ redis: redis.clients[1]!, keyPrefix, logger });
});

afterAll(async () => {
  await redis.cleanup();
});

describe('RedisResponseCache', () => {
  it('serves an entry written through one replica to another', async () => {
    await replicaA.set('k1', ANSWER);
    expect(await replicaB.get('k1')).toEqual(ANSWER);
  });

  it('misses a key never written', async () => {
    expect(await replicaB.get('never-written')).toBeUndefined();
  });

  it('writes under the prefix with a PX expiry of the TTL given', async () => {
    await replicaA.set('k2', ANSWER, 60_000);
    const pttl = await redis.clients[0]!.pttl(`${redis.prefix}cache:k2`);

    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('keeps an answer without a payload (a plain chat completion)', async () => {
    const { payload: _payload, ...plain } = ANSWER;
    await replicaA.set('k3', plain);
    expect(await replicaB.get('k3')).toEqual(plain);
  });

  it('stores nothing for a TTL below 1 ms', async () => {
    await replicaA.set('k4', ANSWER, 0.5);
    expect(await redis.clients[0]!.exists(`${redis.prefix}cache:k4`)).toBe(0);
  });

  it('treats an entry that is not a cached response as a miss', async () => {
    await redis.clients[0]!.set(`${redis.prefix}cache:bad`, '{"model":"m"}');
    await redis.clients[0]!.set(`${redis.prefix}cache:not-json`, 'not json');

    expect(await replicaB.get('bad')).toBeUndefined();
    expect(await replicaB.get('not-json')).toBeUndefined();
  });

  it('treats a failed connection as a miss and a skipped write, not an error', async () => {
    const closed = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    closed.disconnect();
    const cache = new RedisResponseCache({ redis: closed, logger: silentLogger() });

    await expect(cache.set('k', ANSWER)).resolves.toBeUndefined();
    await expect(cache.get('k')).resolves.toBeUndefined();
  });

  it('logs an outage once, however many requests meet it, and its end', async () => {
    const { lines, logger } = logLines();
    const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    client.disconnect();
    const cache = new RedisResponseCache({ redis: client, keyPrefix: `${redis.prefix}o:`, logger });
    for (let i = 0; i < 5; i++) {
      await cache.get('k');
      await cache.set('k', ANSWER);
    }
    await client.connect();
    try {
      await cache.set('k', ANSWER);
      await cache.get('k');
      expect(lines.map((line) => line.msg)).toEqual([
        'response cache read failed; treated as a miss (logged once until Redis answers again)',
        'response cache is reachable again',
      ]);
    } finally {
      client.disconnect();
    }
  });
});
