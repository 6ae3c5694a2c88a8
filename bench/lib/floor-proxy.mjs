#!/usr/bin/env node
/**
 * The least a Node.js gateway can do: take a chat completion, parse it,
 * forward it over a keep-alive undici pool, parse the answer, serialise it
 * and send it back. No routing, validation, logging, metrics or audit. The
 * gateway benchmark runs it beside Switchyard as a reference: its added
 * latency is what this machine charges any Node proxy before it does any
 * work of its own.
 *
 *   node bench/lib/floor-proxy.mjs --upstream http://127.0.0.1:PORT --port N
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: { upstream: { type: 'string' }, port: { type: 'string' } },
});
const pool = new Pool(values.upstream, { connections: 64 });

createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const upstream = await pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
        body: JSON.stringify(body),
      });
      const text = JSON.stringify(await upstream.body.json());
      response.writeHead(upstream.statusCode, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
    } catch (error) {
      response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(String(error));
    }
  });
}).listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write('floor proxy listening\n');
});
