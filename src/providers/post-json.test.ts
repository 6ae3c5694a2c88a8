import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from './post-json.js';

/** A server on loopback that reads each request and never answers. */
async function hangingServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((request) => request.resume());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const handle of open.splice(0)) await handle.close();
});

async function post(options: { totalMs: number; signal: AbortSignal; deadlineAtMs?: number }) {
  const { url, server } = await hangingServer();
  const dispatcher = new Agent();
  open.push({ close: () => server.closeAllConnections() }, server, dispatcher);
  return postJson({
    dispatcher,
    url,
    headers: {},
    body: { hello: 'world' },
    timeouts: { connectMs: 1_000, firstByteMs: 60_000, totalMs: options.totalMs },
    signal: options.signal,
    ...(options.deadlineAtMs !== undefined ? { deadlineAtMs: options.deadlineAtMs } : {}),
    now: Date.now,
  });
}

describe('postJson timeouts', () => {
  it('times the attempt out by its total timeout when that ends before the deadline', async () => {
    const result = await post({
      totalMs: 100,
      signal: new AbortController().signal,
      deadlineAtMs: Date.now() + 60_000,
    });
    expect(result).toMatchObject({ kind: 'failure', reason: 'timeout' });
  });

  it('leaves it to the deadline when the total timeout would end after it', async () => {
    // The deadline's own signal ends the call; the attempt's long timeout never runs.
    const deadline = AbortSignal.timeout(100);
    const startedMs = Date.now();
    const result = await post({
      totalMs: 60_000,
      signal: deadline,
      deadlineAtMs: Date.now() + 100,
    });
    expect(result).toMatchObject({ kind: 'failure' });
    expect((result as { reason: string }).reason).not.toBe('timeout');
    expect(Date.now() - startedMs).toBeLessThan(5_000);
  });
});

describe('postJson answer size', () => {
  it('stops reading an answer past 16 MiB and fails it as retryable, and reads one below', async () => {
    const mib = Buffer.alloc(2 ** 20, 'x');
    let endless = true;
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      if (!endless) return response.end('{"ok":true}');
      // Writes a MiB at a time, for as long as anyone reads.
      const more = () => {
        while (!response.destroyed && response.write(mib));
      };
      response.on('drain', more);
      more();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const dispatcher = new Agent();
    open.push({ close: () => server.closeAllConnections() }, server, dispatcher);
    const call = () =>
      postJson({
        dispatcher,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        headers: {},
        body: {},
        timeouts: { connectMs: 1_000, firstByteMs: 10_000, totalMs: 30_000 },
        signal: new AbortController().signal,
        now: Date.now,
      });

    expect(await call()).toMatchObject({
      kind: 'failure',
      reason: 'bad_response',
      retryable: true,
      status: 200,
      message: 'upstream answer passed 16 MiB; not read further',
    });
    endless = false;
    expect(await call()).toMatchObject({ status: 200, text: '{"ok":true}' });
  });
});
