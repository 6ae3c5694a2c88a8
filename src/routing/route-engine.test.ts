import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../test-support/gateway-harness.js';

interface Envelope {
  request_id: string;
  tier: string;
  model_used: string;
  payload: Record<string, unknown>;
  confidence: number | null;
  cost_usd: number;
  repaired: boolean;
  attempts: Array<{
    tier: string;
    model: string;
    outcome: string;
    cost_usd: number;
    error?: string;
    usage: Record<string, number> | null;
  }>;
}

interface ErrorBody {
  error: { type: string; message: string; request_id: string; [key: string]: unknown };
}

const CHEAP = 'gpt-4o-mini-2024-07-18';
const MID = 'gpt-4o-2024-08-06';
const classify = { task_type: 'classification', prompt: 'I love it', contract: 'classification' };

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

describe('routing a contract request', () => {
  it('answers a classification on the cheap tier with a valid envelope', async () => {
    const h = await start();
    const response = await h.post('/v1/route', classify);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Envelope;
    expect(body.tier).toBe('cheap');
    expect(body.model_used).toBe(CHEAP);
    expect(['positive', 'negative', 'neutral']).toContain(body.payload.label);
    expect(body.confidence).toBe(body.payload.confidence);
    expect(body.repaired).toBe(false);
    expect(body.attempts.map((a) => a.outcome)).toEqual(['success']);
    expect(response.headers.get('x-request-id')).toBe(body.request_id);
    expect(response.headers.get('x-switchyard-model')).toBe(CHEAP);
    expect(Number(response.headers.get('x-switchyard-cost-usd'))).toBe(body.cost_usd);
  });

  it('repairs a fenced JSON answer and returns it', async () => {
    const h = await start();
    const response = await h.post('/v1/route', classify, { 'x-sim-scenario': 'fenced_json' });
    const body = (await response.json()) as Envelope;
    expect(response.status).toBe(200);
    expect(body.repaired).toBe(true);
    expect(body.attempts).toHaveLength(1);
    expect(typeof body.payload.label).toBe('string');
  });

  it('repairs trailing commas', async () => {
    const h = await start();
    const response = await h.post('/v1/route', classify, { 'x-sim-scenario': 'trailing_comma' });
    const body = (await response.json()) as Envelope;
    expect(response.status).toBe(200);
    expect(body.repaired).toBe(true);
  });

  it('escalates a missing field once to the next tier, which answers', async () => {
    const h = await start();
    h.sim.script(CHEAP, ['missing_field']);
    const body = (await (await h.post('/v1/route', classify)).json()) as Envelope;
    expect(body.attempts.map((a) => [a.tier, a.outcome])).toEqual([
      ['cheap', 'schema_invalid'],
      ['mid', 'success'],
    ]);
    expect(body.attempts[0]?.error).toContain("must have required property 'label'");
    expect(body.model_used).toBe(MID);
    expect(body.cost_usd).toBeCloseTo(body.attempts[0]!.cost_usd + body.attempts[1]!.cost_usd, 12);
  });

  it('answers 422 schema_violation when the escalated answer is still invalid', async () => {
    const h = await start();
    h.sim.script(CHEAP, ['missing_field']);
    h.sim.script(MID, ['missing_field']);
    const response = await h.post('/v1/route', classify);
    expect(response.status).toBe(422);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.type).toBe('schema_violation');
    expect(body.error.validation_errors).toEqual([
      { path: '/label', message: "must have required property 'label'" },
    ]);
    expect(typeof body.error.last_output).toBe('string');
    expect(h.sim.stats().requests).toBe(2);
  });

  it('never returns output cut off by the token limit as a success', async () => {
    const h = await start();
    h.sim.script(CHEAP, ['truncated']);
    h.sim.script(MID, ['truncated']);
    const response = await h.post('/v1/route', classify);
    expect(response.status).toBe(422);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.type).toBe('schema_violation');
    expect(body.error.message).toContain('cut off at the token limit');
  });

  it('answers a refusal with 422 refusal and no further attempt', async () => {
    const h = await start();
    h.sim.script(CHEAP, ['refusal']);
    const response = await h.post('/v1/route', classify);
    expect(response.status).toBe(422);
    expect(((await response.json()) as ErrorBody).error.type).toBe('refusal');
    expect(h.sim.stats().requests).toBe(1);
  });

  it('rejects a naive timestamp where the contract wants a date-time', async () => {
    const h = await start();
    h.sim.script(MID, ['naive_timestamp']);
    const request = { task_type: 'extraction', prompt: 'Ada met Bob', contract: 'extraction' };
    const body = (await (await h.post('/v1/route', request)).json()) as Envelope;
    expect(body.attempts.map((a) => [a.tier, a.outcome])).toEqual([
      ['mid', 'schema_invalid'],
      ['heavy', 'success'],
    ]);
    expect(body.attempts[0]?.error).toContain('must match format "date-time"');
  });
});

describe('retrying transient failures', () => {
  it('retries an HTML 502 on the next tier after a jittered backoff', async () => {
    const h = await start();
    h.sim.script(CHEAP, ['bad_gateway_html']);
    const body = (await (await h.post('/v1/route', classify)).json()) as Envelope;
    expect(body.attempts.map((a) => [a.tier, a.outcome])).toEqual([
      ['cheap', 'bad_response'],
      ['mid', 'success'],
    ]);
    // Full jitter with random() = 0.5: 0.5 × min(8000, 500 × 2^0) = 250 ms.
    expect(h.clock.sleeps).toEqual([250]);
  });

  it('gives up after the allowed retries with 502 upstream_error', async () => {
    const h = await start();
    for (const model of [CHEAP, MID, 'o1-2024-12-17']) h.sim.script(model, ['server_error']);
    const response = await h.post('/v1/route', classify);
    expect(response.status).toBe(502);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.type).toBe('upstream_error');
    expect(body.error.upstream_status).toBe(500);
    // Two retries after the first attempt, backing off 250 then 500 ms.
    expect(h.sim.stats().requests).toBe(3);
    expect(h.clock.sleeps).toEqual([250, 500]);
  });

  it('honours retry-after on the same deployment when it fits the deadline', async () => {
    const h = await start({ yaml: singleTier });
    h.sim.script(CHEAP, ['rate_limit:2']);
    const response = await h.post('/v1/route', classify);
    expect(response.status).toBe(200);
    expect(h.clock.sleeps).toEqual([2000]);
    expect(h.sim.stats().requests).toBe(2);
  });

  it('honours retry-after-ms', async () => {
    const h = await start({ yaml: singleTier });
    h.sim.script(CHEAP, ['rate_limit_ms:1500']);
    expect((await h.post('/v1/route', classify)).status).toBe(200);
    expect(h.clock.sleeps).toEqual([1500]);
  });

  it('does not sleep a retry-after longer than the deadline, and moves on at once', async () => {
    const h = await start({ extraYaml: 'deadline_ms: 10000' });
    h.sim.script(CHEAP, ['rate_limit:60']);
    const body = (await (await h.post('/v1/route', classify)).json()) as Envelope;
    expect(body.attempts.map((a) => [a.tier, a.outcome])).toEqual([
      ['cheap', 'rate_limited'],
      ['mid', 'success'],
    ]);
    expect(h.clock.sleeps).toEqual([]);
  });

  it('answers 429 with retry-after when the only deployment is rate-limited past the deadline', async () => {
    const h = await start({ yaml: (url) => singleTier(url) + '\ndeadline_ms: 10000\n' });
    h.sim.script(CHEAP, ['rate_limit:60']);
    const response = await h.post('/v1/route', classify);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(h.clock.sleeps).toEqual([]);
  });
});

describe('the cost cap', () => {
  it('stops an attempt before it is made when its worst case passes the cap', async () => {
    const h = await start();
    const response = await h.post('/v1/route', { ...classify, max_cost_usd: 0.0000001 });
    expect(response.status).toBe(402);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.type).toBe('cost_cap_exceeded');
    expect(h.sim.stats().requests).toBe(0);
  });

  it('counts every attempt: an escalation that would pass the cap is not made', async () => {
    // The cheap attempt's worst case fits $0.002; gpt-4o's (512 output tokens
    // at $10 per million, over $0.005) does not.
    const h = await start();
    h.sim.script(CHEAP, ['missing_field']);
    const response = await h.post('/v1/route', { ...classify, max_cost_usd: 0.002 });
    expect(response.status).toBe(402);
    expect(h.sim.stats().requests).toBe(1);
  });

  it('never lets a request raise the configured cap', async () => {
    const h = await start({ extraYaml: 'cost:\n  max_cost_usd_per_request: 0.0000001' });
    const response = await h.post('/v1/route', { ...classify, max_cost_usd: 100 });
    expect(response.status).toBe(402);
  });
});

describe('pricing each attempt from its usage', () => {
  it('prices cached prompt tokens at the cached rate', async () => {
    const h = await start();
    const response = await h.post('/v1/route', classify, { 'x-sim-scenario': 'cached:8' });
    const body = (await response.json()) as Envelope;
    const usage = body.attempts[0]!.usage!;
    expect(usage.cached_input_tokens).toBe(8);
    // gpt-4o-mini: $0.15 input, $0.075 cached, $0.60 output per million tokens.
    const expected =
      (usage.input_tokens! * 0.15 + 8 * 0.075 + usage.output_tokens! * 0.6) / 1_000_000;
    expect(body.cost_usd).toBeCloseTo(expected, 12);
  });

  it('counts reasoning tokens once, inside the output tokens', async () => {
    const h = await start();
    const request = { task_type: 'reasoning', prompt: 'Why?', contract: 'reasoning' };
    const body = (await (await h.post('/v1/route', request)).json()) as Envelope;
    const usage = body.attempts[0]!.usage!;
    expect(body.model_used).toBe('o1-2024-12-17');
    expect(usage.reasoning_tokens).toBeGreaterThan(0);
    const expected = (usage.input_tokens! * 15 + usage.output_tokens! * 60) / 1_000_000;
    expect(body.cost_usd).toBeCloseTo(expected, 12);
  });
});

function singleTier(simUrl: string): string {
  return `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai: { kind: openai, base_url: ${simUrl}/v1, api_key: sk-test }
tiers:
  cheap: [{ provider: openai, model: ${CHEAP} }]
task_types: { classification: cheap }
contracts_dir: ./contracts
logging: { level: silent }
`;
}

describe('a request every provider refuses as too long', () => {
  it('answers 400 with the provider’s reason, not 502, once larger windows are tried', async () => {
    const h = await start();
    const response = await h.post('/v1/route', classify, { 'x-sim-scenario': 'context_length' });
    const body = (await response.json()) as ErrorBody;
    expect(response.status).toBe(400);
    expect(body.error.type).toBe('invalid_request');
    expect(body.error.message).toMatch(/^the provider refused the request: /);
  });
});

describe('a request every deployment’s rate limit turns away', () => {
  it('gets 429 with retry-after (not 503) while the only deployment cools down', async () => {
    const h = await start();
    const pinned = { model: CHEAP, messages: [{ role: 'user', content: 'hi' }] };
    // The provider asks for 30 s: more than the deadline, so the gateway stops.
    const first = await h.post('/v1/chat/completions', pinned, {
      'x-sim-scenario': 'rate_limit:30',
    });
    expect(first.status).toBe(429);

    const second = await h.post('/v1/chat/completions', pinned);
    const body = (await second.json()) as ErrorBody;
    expect(second.status).toBe(429);
    expect(body.error.type).toBe('rate_limited');
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
  });
});
