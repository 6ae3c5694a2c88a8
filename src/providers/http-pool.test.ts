import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpPools, Pool } from './http-pool.js';

const OPTIONS = {
  connections: 4,
  keepAliveTimeoutMs: 1000,
  connectTimeoutMs: 1000,
  headersTimeoutMs: 1000,
  bodyTimeoutMs: 1000,
};

describe('HttpPools', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("loads undici's Pool, with its request methods, without undici's entry point", () => {
    const require = createRequire(import.meta.url);
    // Nothing in this file imports 'undici' itself before this test.
    expect(require.cache[require.resolve('undici')]).toBeUndefined();
    expect(typeof Pool.prototype.request).toBe('function');
    expect(typeof Pool.prototype.stream).toBe('function');
    expect(Pool).toBe((require('undici') as { Pool: unknown }).Pool);
  });

  it('shares one pool per origin and reports its sockets', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as AddressInfo;
    const pools = new HttpPools();
    closers.unshift(() => pools.close());

    const pool = pools.get(`http://127.0.0.1:${port}/v1/chat`, OPTIONS);
    expect(pools.get(`http://127.0.0.1:${port}/v1/other`, OPTIONS)).toBe(pool);
    const answer = await pool.request({ path: '/', method: 'GET' });
    expect(await answer.body.text()).toBe('ok');
    // The socket is handed back to the pool just after the body ends.
    await vi.waitFor(() =>
      expect(pools.stats()).toEqual([
        { origin: `http://127.0.0.1:${port}`, connected: 1, free: 1, running: 0, pending: 0 },
      ]),
    );
  });
});
