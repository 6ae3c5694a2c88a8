import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { logLines } from '../test-support/log-lines.js';
import { drainServer } from './drain-server.js';

async function listening(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('drainServer', () => {
  it('waits for a request in flight to finish, and logs nothing', async () => {
    const { server, port } = await listening((_req, res) => {
      setTimeout(() => res.end('done'), 100);
    });
    const { lines, logger } = logLines();
    const arrived = once(server, 'request');
    const answered = new Promise<string>((resolve, reject) => {
      request({ port, host: '127.0.0.1' }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    await arrived;
    await drainServer(server, { graceMs: 5_000, logger });
    expect(await answered).toBe('done');
    expect(lines).toEqual([]);
  });

  it('cuts a connection still open after the grace period, and says so', async () => {
    // A handler that never answers stands for a client that stopped reading.
    const { server, port } = await listening(() => {});
    const { lines, logger } = logLines();
    const arrived = once(server, 'request');
    const cut = new Promise<string>((resolve) => {
      request({ port, host: '127.0.0.1' })
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
        .end();
    });
    await arrived;
    await drainServer(server, { graceMs: 150, logger });
    expect(await cut).toBe('ECONNRESET');
    expect(lines.map((line) => [line.msg, line.grace_ms])).toEqual([
      ['connections still open at the end of the drain; closing them', 150],
    ]);
  });
});
