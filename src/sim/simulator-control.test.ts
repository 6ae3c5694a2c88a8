import { afterEach, describe, expect, it } from 'vitest';
import { Agent, fetch as undiciFetch } from 'undici';
import { startSimulator, ScenarioError } from './index.js';
import type { RunningSimulator, SimulatorOptions } from './types.js';

const running: RunningSimulator[] = [];

async function start(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator(options);
  running.push(sim);
  return sim;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

const messages = [{ role: 'user', content: 'Hello there.' }];

function chat(sim: RunningSimulator, options: { model?: string; scenario?: string } = {}) {
  return fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer test',
      ...(options.scenario && { 'x-sim-scenario': options.scenario }),
    },
    body: JSON.stringify({ model: options.model ?? 'gpt-4o', messages }),
  });
}

async function statuses(sim: RunningSimulator, count: number, model = 'gpt-4o'): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await chat(sim, { model });
    await response.arrayBuffer();
    result.push(response.status);
  }
  return result;
}

function control(sim: RunningSimulator, path: string, body?: unknown) {
  return fetch(`${sim.url}/_sim/${path}`, {
    method: body === undefined && path === 'stats' ? 'GET' : 'POST',
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

describe('scenario selection', () => {
  it('consumes a script queue one scenario per request, then answers ok', async () => {
    const sim = await start();
    sim.script('gpt-4o', ['server_error', 'rate_limit']);
    expect(await statuses(sim, 3)).toEqual([500, 429, 200]);
    expect(sim.stats().byScenario).toEqual({ server_error: 1, rate_limit: 1, ok: 1 });
  });

  it('takes a script from the model options and keeps models apart', async () => {
    const sim = await start({ models: { a: { script: ['unavailable'] } } });
    expect(await statuses(sim, 1, 'b')).toEqual([200]);
    expect(await statuses(sim, 2, 'a')).toEqual([503, 200]);
    expect(sim.stats().byModel).toEqual({ a: 2, b: 1 });
  });

  it('lets the header win over the queue without consuming it', async () => {
    const sim = await start();
    sim.script('gpt-4o', ['server_error']);
    expect((await chat(sim, { scenario: 'ok' })).status).toBe(200);
    expect(await statuses(sim, 1)).toEqual([500]);
  });

  it('applies a scripted comma list together', async () => {
    const sim = await start();
    sim.script('gpt-4o', ['slow:5,overloaded']);
    expect(await statuses(sim, 1)).toEqual([529]);
    expect(sim.stats().byScenario).toEqual({ slow: 1, overloaded: 1 });
  });

  it('throws a ScenarioError for an unknown scenario and queues nothing', async () => {
    const sim = await start();
    expect(() => sim.script('gpt-4o', ['server_error', 'bogus'])).toThrow(ScenarioError);
    expect(() => sim.script('gpt-4o', ['slow'])).toThrow(/needs an argument/);
    expect(await statuses(sim, 1)).toEqual([200]);
  });

  it('replays the same random faults for the same seed', async () => {
    const options = {
      seed: 42,
      defaultBehaviour: { faultRate: 0.5, faultScenarios: ['server_error'] },
    };
    const first = await statuses(await start(options), 20);
    const second = await statuses(await start(options), 20);
    expect(second).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
  });

  it('draws faults from an injected random source', async () => {
    const always = await start({
      random: () => 0,
      defaultBehaviour: { faultRate: 0.1, faultScenarios: ['unavailable'] },
    });
    const never = await start({ random: () => 0.99, defaultBehaviour: { faultRate: 0.1 } });
    expect(await statuses(always, 3)).toEqual([503, 503, 503]);
    expect(await statuses(never, 3)).toEqual([200, 200, 200]);
  });

  it('picks up configure() changes for later requests', async () => {
    const sim = await start();
    sim.configure('gpt-4o', { faultRate: 1, faultScenarios: ['server_error'] });
    expect(await statuses(sim, 1)).toEqual([500]);
    sim.configure('gpt-4o', { faultRate: 0 });
    expect(await statuses(sim, 1)).toEqual([200]);
  });
});

describe('rate-limit windows', () => {
  it('refuses the request past the limit and admits again in the next window', async () => {
    let nowMs = 1_000_000;
    const rateLimit = { requests: 2, tokens: 1_000_000, windowMs: 60_000 };
    const sim = await start({ now: () => nowMs, models: { limited: { rateLimit } } });
    const first = await chat(sim, { model: 'limited' });
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toBe('1m0s');
    nowMs += 1_500;
    expect((await chat(sim, { model: 'limited' })).status).toBe(200);
    const refused = await chat(sim, { model: 'limited' });
    const body = (await refused.json()) as { error: { type: string; code: string } };
    expect(refused.status).toBe(429);
    expect(body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    expect(refused.headers.get('retry-after')).toBe('59');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(sim.stats().byScenario.rate_limit_window).toBe(1);
    nowMs += 60_000;
    expect(await statuses(sim, 1, 'limited')).toEqual([200]);
  });

  it('counts prompt and completion tokens against the token budget', async () => {
    const rateLimit = { requests: 100, tokens: 120, windowMs: 60_000 };
    const sim = await start({ now: () => 0, models: { limited: { rateLimit } } });
    const first = await chat(sim, { model: 'limited' });
    const { usage } = (await first.json()) as { usage: { total_tokens: number } };
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe(
      String(120 - usage.total_tokens),
    );
    const later = await statuses(sim, 5, 'limited');
    expect(later).toContain(429);
    const refused = await chat(sim, { model: 'limited' });
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('tokens');
  });
});

describe('control endpoint', () => {
  it('scripts, configures, reports and resets over HTTP', async () => {
    const sim = await start();
    expect(
      (await control(sim, 'script', { model: 'gpt-4o', scenarios: ['server_error'] })).status,
    ).toBe(200);
    expect(await statuses(sim, 1)).toEqual([500]);
    const configured = await control(sim, 'configure', {
      model: 'gpt-4o',
      behaviour: { faultRate: 1, faultScenarios: ['unavailable'] },
    });
    expect(configured.status).toBe(200);
    expect(await statuses(sim, 1)).toEqual([503]);

    const stats = (await (await control(sim, 'stats')).json()) as { requests: number };
    expect(stats.requests).toBe(2);
    expect((await control(sim, 'reset', {})).status).toBe(200);
    expect(sim.stats()).toMatchObject({ requests: 0, byModel: {}, byScenario: {} });
    expect(await statuses(sim, 1)).toEqual([200]);
  });

  it('refuses unknown scenarios and malformed behaviour with 400', async () => {
    const sim = await start();
    const badScenario = await control(sim, 'script', { model: 'm', scenarios: ['nope'] });
    const badBehaviour = await control(sim, 'configure', { model: 'm', behaviour: { latency: 5 } });
    expect(badScenario.status).toBe(400);
    expect(badBehaviour.status).toBe(400);
    expect(await badBehaviour.json()).toEqual({
      error: { message: 'unknown behaviour field "latency"' },
    });
  });
});

describe('lifecycle', () => {
  it('counts open connections and frees a hung request when the client aborts', async () => {
    const sim = await start();
    const agent = new Agent();
    const controller = new AbortController();
    const pending = undiciFetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'x-sim-scenario': 'hang' },
      body: JSON.stringify({ model: 'gpt-4o', messages }),
      signal: controller.signal,
      dispatcher: agent,
    });
    await expect.poll(() => sim.stats().byScenario.hang).toBe(1);
    expect(sim.stats().openConnections).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await expect.poll(() => sim.stats().openConnections).toBe(0);
    await agent.close();
  });

  it('close() ends hung requests and idle sockets and stops listening', async () => {
    const sim = await startSimulator();
    const agent = new Agent();
    await (await undiciFetch(`${sim.url}/v1/models`, { dispatcher: agent })).arrayBuffer();
    const hung = undiciFetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'x-sim-scenario': 'hang' },
      body: JSON.stringify({ model: 'gpt-4o', messages }),
      dispatcher: agent,
    });
    const outcome = hung.then(
      () => 'answered',
      () => 'failed',
    );
    await expect.poll(() => sim.stats().byScenario.hang).toBe(1);
    expect(sim.stats().openConnections).toBe(2);
    await sim.close();
    expect(sim.stats().openConnections).toBe(0);
    expect(await outcome).toBe('failed');
    await expect(undiciFetch(`${sim.url}/v1/models`, { dispatcher: agent })).rejects.toThrow();
    await agent.close();
  });

  it('lists models in the shape of the asking API', async () => {
    const sim = await start({ models: { 'my-model': {} } });
    const openai = (await (await fetch(`${sim.url}/v1/models`)).json()) as {
      data: Array<{ id: string }>;
    };
    const anthropic = (await (
      await fetch(`${sim.url}/v1/models`, { headers: { 'anthropic-version': '2023-06-01' } })
    ).json()) as { data: Array<{ type: string }>; has_more: boolean };
    expect(openai.data.map((model) => model.id)).toContain('my-model');
    expect(anthropic.has_more).toBe(false);
    expect(anthropic.data[0]?.type).toBe('model');
  });
});
