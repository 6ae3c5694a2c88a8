import { OutageLog } from '../logging/outage-log.js';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { isCachedResponse, type CachedResponse } from './cached-response.js';
import { DEFAULT_CACHE_TTL_MS, type ResponseCache } from './response-cache.js';

export interface RedisResponseCacheOptions {
  redis: Redis;
  /** Put before every key, e.g. `switchyard:cache:`; keeps deployments apart. */
  keyPrefix?: string;
  /** TTL of a `set` that names none. Default 10 minutes. */
  defaultTtlMs?: number;
  logger: Logger;
}

/**
 * A `ResponseCache` in Redis, shared by every replica: one string per entry,
 * written with `SET key value PX ttl`, so Redis itself drops expired entries.
 * Size is bounded only by Redis's own `maxmemory` policy.
 *
 * A Redis error is treated as a miss (or a skipped write): the request goes
 * to a model instead of failing. It is logged once per outage, not once per
 * request while Redis is down, and the first success after it says so.
 */
export class RedisResponseCache implements ResponseCache {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #defaultTtlMs: number;
  readonly #logger: Logger;
  readonly #outage: OutageLog;

  constructor(options: RedisResponseCacheOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix ?? 'switchyard:cache:';
    this.#defaultTtlMs = options.defaultTtlMs ?? DEFAULT_CACHE_TTL_MS;
    this.#logger = options.logger;
    this.#outage = new OutageLog(this.#logger, { recovered: 'response cache is reachable again' });
  }

  async get(key: string): Promise<CachedResponse | undefined> {
    let text: string | null;
    try {
      text = await this.#redis.get(this.#prefix + key);
    } catch (error) {
      this.#onFailed(error, 'response cache read failed; treated as a miss');
      return undefined;
    }
    this.#onOk();
    if (text === null) return undefined;

    const value = parseJson(text);
    if (isCachedResponse(value)) return value;
    this.#logger.warn({ cache_key: key }, 'response cache entry is not a cached response; ignored');
    return undefined;
  }

  async set(key: string, value: CachedResponse, ttlMs = this.#defaultTtlMs): Promise<void> {
    // Redis refuses PX 0; a TTL of nothing means the caller wants no entry.
    const wholeMs = Math.floor(ttlMs);
    if (wholeMs <= 0) return;

    try {
      await this.#redis.set(this.#prefix + key, JSON.stringify(value), 'PX', wholeMs);
    } catch (error) {
      this.#onFailed(error, 'response cache write failed; the answer is not cached');
      return;
    }
    this.#onOk();
  }

  #onFailed(error: unknown, message: string): void {
    this.#outage.failed(
      'warn',
      { err: error },
      `${message} (logged once until Redis answers again)`,
    );
  }

  #onOk(): void {
    this.#outage.ok();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
