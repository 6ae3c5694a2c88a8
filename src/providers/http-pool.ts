import { createRequire } from 'node:module';
import type { Pool as UndiciPool } from 'undici';

/**
 * undici's Pool, loaded on its own. The package's entry point also loads
 * fetch, WebSocket, EventSource, the cache stores and the mock agents, none
 * of which the gateway uses: 80 more modules, 3 MB more heap and 9 MB more
 * resident memory in every process. The entry point does one more thing the
 * gateway needs, which is repeated here: it gives every dispatcher its
 * `request` and `stream` methods. undici 7 has no `exports` map, so these
 * paths are reachable; an upgrade that moves them fails here, at start, and
 * in http-pool.test.ts.
 */
export const Pool = loadUndiciPool();
type Pool = UndiciPool;

export interface PoolOptions {
  /** Most sockets open to one origin at once. Default 100. */
  connections: number;
  /** How long an idle keep-alive socket is kept before it is closed. Default 4 s. */
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
  /** Time allowed for response headers (first byte). */
  headersTimeoutMs: number;
  /** Longest silence allowed between two chunks of a body. */
  bodyTimeoutMs: number;
}

export interface PoolStats {
  origin: string;
  /** Sockets open now, busy or idle. */
  connected: number;
  free: number;
  running: number;
  pending: number;
}

/**
 * One keep-alive connection pool per upstream origin, shared by every
 * deployment that talks to it, so sockets are reused across requests.
 *
 * undici caps the number of sockets per origin but not the number of idle
 * ones; idle sockets are instead closed after `keepAliveTimeoutMs`, so after a
 * burst the pool shrinks back within that time rather than to a fixed count.
 */
export class HttpPools {
  readonly #pools = new Map<string, Pool>();

  get(url: string, options: PoolOptions): Pool {
    const origin = new URL(url).origin;
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections,
        keepAliveTimeout: options.keepAliveTimeoutMs,
        keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs, 1000),
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.bodyTimeoutMs,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  stats(): PoolStats[] {
    return [...this.#pools.entries()].map(([origin, pool]) => ({
      origin,
      connected: pool.stats.connected,
      free: pool.stats.free,
      running: pool.stats.running,
      pending: pool.stats.pending,
    }));
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

function loadUndiciPool(): typeof UndiciPool {
  const require = createRequire(import.meta.url);
  const dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
  const pool = require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
  if (!('request' in dispatcher.prototype)) {
    Object.assign(dispatcher.prototype, require('undici/lib/api/index.js'));
  }
  if (
    !(pool.prototype instanceof (dispatcher as unknown as typeof UndiciPool)) ||
    typeof pool.prototype.request !== 'function' ||
    typeof pool.prototype.stream !== 'function'
  ) {
    throw new Error('undici/lib/dispatcher/pool.js is not the Pool this gateway was built for');
  }
  return pool;
}
