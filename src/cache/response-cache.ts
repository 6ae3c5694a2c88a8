import type { CachedResponse } from './cached-response.js';

/** How long an answer is kept unless the caller says otherwise: 10 minutes. */
export const DEFAULT_CACHE_TTL_MS = 10 * 60_000;

/**
 * Where cached answers live, by `cacheKey`. Values go in and come out as
 * plain JSON copies, so an in-memory cache behaves as a shared one does.
 * Implementations treat their own failures as misses: the cache can make a
 * request cheaper, never make it fail.
 */
export interface ResponseCache {
  get(key: string): Promise<CachedResponse | undefined>;
  /** Stores for `ttlMs` (default `DEFAULT_CACHE_TTL_MS`); a `ttlMs` ≤ 0 stores nothing. */
  set(key: string, value: CachedResponse, ttlMs?: number): Promise<void>;
}
