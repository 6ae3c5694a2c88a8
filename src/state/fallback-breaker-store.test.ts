import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBreakerStore } from '../resilience/redis-breaker-store.js';
import { logLines } from '../test-support/log-lines.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { FallbackBreakerStore } from './fallback-breaker-store.js';
import { openTestRedis, TEST_REDIS_URL, type TestRedis } from './test-redis.js';

const OPEN_UNTIL_MS = 1_900_000_000_000;

let redis: TestRedis;
let proxy: TcpProxy;
let viaProxy: Redis;

beforeAll(async () => {
  redis = await openTestRedis({ clients: 1 });
  const target = new URL(TEST_REDIS_URL);
  proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port) });
  // Fails fast while the proxy is down, as the gateway's client does.
  viaProxy = new Redis({
    host: '127.0.0.1',
    port: proxy.port,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    retryStrategy: () => 50,
  });
  viaProxy.on('error', () => {});
});

afterAll(async () => {
  viaProxy.disconnect();
  await proxy.stop();
  await redis.cleanup();
});

/** Waits, 5 s at most, for the client to have reconnected. */
async function untilReady(client: Redis): Promise<void> {
  for (let i = 0; i < 100 && client.status !== 'ready'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(client.status).toBe('ready');
}

describe('FallbackBreakerStore', () => {
  it('carries on locally while Redis is cut off, and shares again once it is back', async () => {
    let nowMs = 1_000_000;
    const { lines, logger } = logLines();
    const store = new FallbackBreakerStore({
      shared: new RedisBreakerStore({ redis: viaProxy, keyPrefix: redis.prefix }),
      logger,
      now: () => nowMs,
      retryAfterMs: 5000,
    });
    const direct = new RedisBreakerStore({ redis: redis.clients[0]!, keyPrefix: redis.prefix });
    await store.put('a', { state: 'open', openUntilMs: OPEN_UNTIL_MS });
    expect(await direct.get('a')).toEqual({ state: 'open', openUntilMs: OPEN_UNTIL_MS });

    await proxy.stop();
    await store.put('b', { state: 'open', openUntilMs: OPEN_UNTIL_MS });
    expect(store.usingLocal).toBe(true);
    expect(await store.get('b')).toEqual({ state: 'open', openUntilMs: OPEN_UNTIL_MS });
    expect(await store.get('a')).toBeUndefined();
    expect(await direct.get('b')).toBeUndefined();

    await proxy.start();
    await untilReady(viaProxy);
    nowMs += 5000;
    expect(await store.get('a')).toEqual({ state: 'open', openUntilMs: OPEN_UNTIL_MS });
    expect(store.usingLocal).toBe(false);
    expect(lines.map((line) => line.msg)).toEqual([
      'shared breaker store failed; breakers are local to this replica until it is back',
      'shared breaker store is back; breakers are shared again',
    ]);
  });
});
