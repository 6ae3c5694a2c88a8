import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';

export interface RedisClientOptions {
  /** `redis://[user:password@]host:port[/db]`; `rediss://` for TLS. */
  url: string;
  /**
   * A command not answered within this many ms fails instead of waiting for
   * a reconnect, so a Redis outage shows as errors, not as hung requests.
   * Default 2000.
   */
  commandTimeoutMs?: number;
  logger: Logger;
}

/**
 * One ioredis connection for every shared store of a process (cache,
 * budgets, breakers, rate limits). Connection errors are logged once per
 * change of state instead of reaching ioredis's console fallback. ioredis is
 * loaded here, on first use: a gateway without Redis never pays its memory.
 */
export async function createRedisClient(options: RedisClientOptions): Promise<Redis> {
  const { logger } = options;
  const { Redis } = await import('ioredis');
  const redis = new Redis(options.url, {
    commandTimeout: options.commandTimeoutMs ?? 2000,
    // While the connection is down, a command fails at once instead of
    // waiting in a queue for the command timeout: each store then falls back
    // (a cache miss, local breakers) without adding seconds to every request.
    enableOfflineQueue: false,
    // Each command is retried on one reconnection at most; the stores'
    // callers decide what a failure means (a cache miss, a 503).
    maxRetriesPerRequest: 1,
  });
  let failing = false;
  redis.on('error', (error: Error) => {
    if (failing) return;
    failing = true;
    logger.error({ err: error }, 'redis connection failed');
  });
  redis.on('ready', () => {
    if (failing) logger.info('redis connection restored');
    failing = false;
  });
  // With no offline queue, commands sent before the first connection would
  // fail: wait for it, but not long (an unreachable Redis must not hold the start).
  await waitForReady(redis, Math.min(options.commandTimeoutMs ?? 2000, 2000));
  return redis;
}

function waitForReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
  });
}
