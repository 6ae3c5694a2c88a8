import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import { REPO_ROOT, startHarness, type Harness } from '../test-support/gateway-harness.js';

const A = 'gpt-4o-mini-2024-07-18';
const B = 'claude-3-5-haiku-20241022';
const LOCAL = 'llama-3.1-8b-instruct';
const classify = { task_type: 'classification', prompt: 'I love it', contract: 'classification' };

interface Envelope {
  model_used: string;
  tier: string;
  fallback: boolean;
  cost_usd: number;
  attempts: Array<{ model: string; outcome: string }>;
}

/** Cheap tier: OpenAI then Anthropic; a local fallback tier on a second simulator. */
function yaml(simUrl: string, localUrl: string, extra = ''): string {
  return `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai: { kind: openai, base_url: ${simUrl}/v1, api_key: sk-test }
  anthropic: { kind: anthropic, base_url: ${simUrl}, api_key: sk-ant-test }
  vllm: { kind: openai, base_url: ${localUrl}/v1, api_key: local-key, json_schema: false }
tiers:
  cheap:
    - { provider: openai, model: ${A} }
    - { provider: anthropic, model: ${B} }
  local:
    - { provider: vllm, model: ${LOCAL}, context_window: 2048, max_prompt_tokens: 1500, cost_per_request_usd: 0.0001 }
tier_order: [cheap]
fallback_tier: local
task_types: { classification: cheap }
retry: { max_retries: 1, base_delay_ms: 0, max_delay_ms: 0 }
contracts_dir: ${REPO_ROOT}/contracts
logging: { level: silent }
${extra}`;
}

let harness: Harness | undefined;
let local: RunningSimulator | undefined;
afterEach(async () => {
  await harness?.close();
  await local?.close();
  harness = local = undefined;
});

async function start(extra = ''): Promise<Harness> {
  local = await startSimulator({ logger: silentLogger() });
  const localUrl = local.url;
  harness = await startHarness({ yaml: (url) => yaml(url, localUrl, extra) });
  return harness;
}

async function route(
  h: Harness,
  body: unknown = classify,
): Promise<{ status: number; body: Envelope }> {
  const response = await h.post('/v1/route', body);
  return { status: response.status, body: (await response.json()) as Envelope };
}

async function breakerOf(h: Harness, model: string) {
  const list = await h.gateway.resilience.breakers.list(h.clock.now());
  return list.find((b) => b.deploymentId.endsWith(`/${model}`));
}

describe('circuit breakers per deployment', () => {
  it('opens after 3 consecutive failures and sends traffic to the next deployment', async () => {
    const h = await start();
    h.sim.script(A, ['server_error', 'server_error', 'server_error']);
    for (let i = 0; i < 3; i++) expect((await route(h)).body.model_used).toBe(B);
    const breaker = await breakerOf(h, A);
    expect(breaker?.state).toBe('open');
    expect(breaker?.openUntilMs).toBeGreaterThanOrEqual(h.clock.now() + 299_000);

    const fourth = await route(h);
    expect(fourth.body.attempts.map((a) => a.model)).toEqual([B]);
    expect(h.sim.stats().byModel[A]).toBe(3);
  });

  it('does not open after 2 failures and a success', async () => {
    const h = await start();
    h.sim.script(A, ['server_error', 'server_error', 'ok', 'server_error']);
    for (let i = 0; i < 4; i++) await route(h);
    expect((await breakerOf(h, A))?.state).toBe('closed');
  });

  it('lets one probe through after the cool-down; success closes it', async () => {
    const h = await start();
    h.sim.script(A, ['server_error', 'server_error', 'server_error']);
    for (let i = 0; i < 3; i++) await route(h);
    h.clock.advance(300_001);
    const probe = await route(h);
    expect(probe.body.attempts.map((a) => [a.model, a.outcome])).toEqual([[A, 'success']]);
    expect((await breakerOf(h, A))?.state).toBe('closed');
  });

  it('re-opens for another cool-down when the probe fails', async () => {
    const h = await start();
    h.sim.script(A, ['server_error', 'server_error', 'server_error', 'server_error']);
    for (let i = 0; i < 3; i++) await route(h);
    h.clock.advance(300_001);
    const probe = await route(h);
    expect(probe.body.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [A, 'server_error'],
      [B, 'success'],
    ]);
    const breaker = await breakerOf(h, A);
    expect(breaker?.state).toBe('open');
    expect(breaker?.openUntilMs).toBeGreaterThanOrEqual(h.clock.now() + 299_000);
  });

  it('does not count the request\u2019s own faults (context length) against a deployment', async () => {
    const h = await start();
    h.sim.script(A, ['context_length', 'context_length', 'context_length']);
    for (let i = 0; i < 3; i++) await route(h);
    expect((await breakerOf(h, A))?.state).toBe('closed');
  });
});

describe('the local fallback tier', () => {
  it('serves with fallback: true when every cloud deployment is open', async () => {
    const h = await start();
    h.sim.script(A, ['server_error', 'server_error', 'server_error']);
    h.sim.script(B, ['server_error', 'server_error', 'server_error']);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await route(h));
    expect(results.map((r) => r.body.model_used)).toEqual([LOCAL, LOCAL, LOCAL]);
    const next = await route(h);
    expect(next.status).toBe(200);
    expect(next.body.fallback).toBe(true);
    expect(next.body.tier).toBe('local');
    // Only the breakers' refusals, then the local server: no cloud attempt.
    expect(next.body.attempts.map((a) => a.model)).toEqual([LOCAL]);
    // Zero per token, plus the configured amortised cost per request.
    expect(next.body.cost_usd).toBe(0.0001);
  });

  it('keeps prompts larger than the local model takes away from it, and says why', async () => {
    const h = await start();
    h.sim.script(A, ['server_error', 'server_error']);
    h.sim.script(B, ['server_error', 'server_error']);
    const long = { ...classify, prompt: 'word '.repeat(1600) };
    const response = await h.post('/v1/route', long);
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { passed_over: Record<string, string> } };
    expect(body.error.passed_over[`local/vllm/${LOCAL}`]).toMatch(
      /^prompt of about \d+ tokens exceeds its limit of 1500$/,
    );
    expect(local!.stats().requests).toBe(0);
  });
});

describe('rate-limit awareness', () => {
  it('routes around a deployment whose remaining tokens cannot cover the next request', async () => {
    const h = await start();
    h.sim.script(A, ['low_tokens:100']);
    expect((await route(h)).body.model_used).toBe(A);
    // 100 tokens left cannot cover a prompt plus 512 output tokens.
    const second = await route(h);
    expect(second.body.attempts.map((a) => a.model)).toEqual([B]);
    expect(h.sim.stats().byModel[A]).toBe(1);
  });

  it('cools a deployment for at least its 429 hint', async () => {
    const h = await start();
    h.sim.script(A, ['rate_limit:30']);
    expect((await route(h)).body.model_used).toBe(B);
    h.clock.advance(29_000);
    expect((await route(h)).body.attempts.map((a) => a.model)).toEqual([B]);
    h.clock.advance(2_000);
    expect((await route(h)).body.model_used).toBe(A);
  });

  it('does not retry a request larger than the rate limit on the same deployment', async () => {
    const h = await start();
    h.sim.script(A, ['request_too_large', 'request_too_large']);
    const result = await route(h);
    expect(result.body.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [A, 'rate_limited'],
      [B, 'success'],
    ]);
    expect(h.sim.stats().byModel[A]).toBe(1);
  });
});

describe('in-flight limits', () => {
  it('answers 503 overloaded when every deployment is at its cap and the queue wait runs out', async () => {
    const h = await start(
      'resilience: { max_in_flight_per_deployment: 1, max_queued_per_deployment: 0, queue_wait_ms: 0 }',
    );
    h.sim.configure(A, { latencyMs: 300 });
    h.sim.configure(B, { latencyMs: 300 });
    local!.configure(LOCAL, { latencyMs: 300 });
    const responses = await Promise.all([1, 2, 3, 4].map(() => h.post('/v1/route', classify)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 503]);
    const rejected = responses.find((r) => r.status === 503)!;
    expect(((await rejected.json()) as { error: { type: string } }).error.type).toBe('overloaded');
  });
});
