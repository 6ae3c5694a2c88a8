import type { CachedResponse } from './cached-response.js';
import { DEFAULT_CACHE_TTL_MS, type ResponseCache } from './response-cache.js';

export interface MemoryResponseCacheOptions {
  /** Most entries kept; the least recently used goes first. Default 1000. */
  maxEntries?: number;
  /** TTL of a `set` that names none. Default 10 minutes. */
  defaultTtlMs?: number;
  /** Epoch ms now; tests pass a fake clock. */
  now?: () => number;
}

interface Entry {
  value: CachedResponse;
  expiresAtMs: number;
}

/**
 * A `ResponseCache` for one process: a least-recently-used list bounded by
 * entry count (not bytes, so a few very long answers can take much memory),
 * with a TTL per entry. An expired entry is dropped when it is read, or
 * evicted in its turn as the least recently used.
 */
export class MemoryResponseCache implements ResponseCache {
  readonly #maxEntries: number;
  readonly #defaultTtlMs: number;
  readonly #now: () => number;
  // A Map iterates in insertion order: the first key is the least recently used.
  readonly #entries = new Map<string, Entry>();

  constructor(options: MemoryResponseCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#defaultTtlMs = options.defaultTtlMs ?? DEFAULT_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${this.#maxEntries}`);
    }
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<CachedResponse | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;

    this.#entries.delete(key);
    if (entry.expiresAtMs <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return structuredClone(entry.value);
  }

  async set(key: string, value: CachedResponse, ttlMs = this.#defaultTtlMs): Promise<void> {
    this.#entries.delete(key);
    if (ttlMs <= 0) return;

    const expiresAtMs = this.#now() + ttlMs;
    this.#entries.set(key, { value: structuredClone(value), expiresAtMs });
    while (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
