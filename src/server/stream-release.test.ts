import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startHarness, type Harness } from '../test-support/gateway-harness.js';

const MODEL = 'gpt-4o-mini-2024-07-18';
const POOL_CONNECTIONS = 50;
const STREAMS = 200;
/**
 * The prose reply said 100 times: some 700 frames 25 ms apart, a stream of
 * over 15 s. A stream the gateway failed to stop would hold its socket far
 * longer than the settle bound below, so a leak cannot pass for a release.
 */
const SCENARIO = 'long_reply:100';
const SETTLE_BOUND_MS = 10_000;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    yaml: (simUrl) => `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai:
    kind: openai
    base_url: ${simUrl}/v1
    api_key: sk-test
    forward_headers: [x-sim-scenario]
    pool: { connections: ${POOL_CONNECTIONS}, keep_alive_timeout_ms: 4000 }
tiers:
  cheap: [{ provider: openai, model: ${MODEL} }]
tier_order: [cheap]
contracts_dir: ${REPO_ROOT}/contracts
logging: { level: silent }
`,
    // 250 ms before each answer, then 25 ms between frames.
    sim: { models: { [MODEL]: { latencyMs: 250 } } },
  });
});
afterAll(async () => h.close());

/** Opens a stream, reads its first chunk, then cancels it as a client would. */
async function firstChunkThenCancel(client: OpenAI, index: number): Promise<string> {
  const stream = await client.chat.completions.create(
    {
      model: 'cheap',
      messages: [{ role: 'user', content: `stream ${index}` }],
      // Room for the whole long reply, so that the simulator does not cut it short.
      max_tokens: 4000,
      stream: true,
    },
    { headers: { 'x-sim-scenario': SCENARIO } },
  );
  for await (const chunk of stream) return chunk.object; // leaving the loop aborts the request
  throw new Error(`stream ${index} ended before its first chunk`);
}

interface Settled {
  openConnections: number;
  connected: number;
  running: number;
  pending: number;
}

/** Polls every 50 ms until no upstream socket is busy and the sockets fit the pool. */
async function settle(): Promise<Settled> {
  const deadline = Date.now() + SETTLE_BOUND_MS;
  for (;;) {
    const pool = h.gateway.pools.stats().find((s) => s.origin === new URL(h.sim.url).origin);
    const now: Settled = {
      openConnections: h.sim.stats().openConnections,
      connected: pool?.connected ?? 0,
      running: pool?.running ?? 0,
      pending: pool?.pending ?? 0,
    };
    const done = now.running === 0 && now.pending === 0;
    if ((done && now.openConnections <= POOL_CONNECTIONS) || Date.now() > deadline) return now;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a client that disconnects mid-stream', () => {
  it(
    `releases the upstream sockets of ${STREAMS} streams cancelled after their first chunk`,
    { timeout: 60_000 },
    async () => {
      const client = new OpenAI({
        baseURL: `${h.gateway.url}/v1`,
        apiKey: 'unused',
        maxRetries: 0,
      });
      const firsts = await Promise.all(
        Array.from({ length: STREAMS }, (_, index) => firstChunkThenCancel(client, index)),
      );
      expect(firsts).toEqual(Array(STREAMS).fill('chat.completion.chunk'));
      // Every stream reached the simulator: the pool let each through as others were freed.
      expect(h.sim.stats().requests).toBe(STREAMS);

      // A stream still being read upstream would keep its socket running for seconds.
      const settled = await settle();
      expect(settled.running).toBe(0);
      expect(settled.pending).toBe(0);
      expect(settled.connected).toBeLessThanOrEqual(POOL_CONNECTIONS);
      expect(settled.openConnections).toBeLessThanOrEqual(POOL_CONNECTIONS);
    },
  );
});
