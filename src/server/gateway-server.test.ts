import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createLogger } from '../logging/logger.js';
import { simConfigYaml, startHarness, type Harness } from '../test-support/gateway-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    yaml: (url) => simConfigYaml(url).replace('port: 0 }', 'port: 0, body_limit_bytes: 4096 }'),
  });
});
afterAll(async () => h.close());

interface ErrorBody {
  error: { type: string; message: string; request_id: string; field?: string };
}

async function expectError(
  response: Response,
  expected: { status: number; type: string; field?: string },
): Promise<ErrorBody> {
  expect(response.status).toBe(expected.status);
  const body = (await response.json()) as ErrorBody;
  expect(body.error.type).toBe(expected.type);
  expect(body.error.request_id).toBe(response.headers.get('x-request-id'));
  if (expected.field) {
    expect(body.error.message.startsWith(`${expected.field}:`)).toBe(true);
  }
  return body;
}

describe('bad input on /v1/route', () => {
  const valid = { task_type: 'classification', prompt: 'fine', contract: 'classification' };

  it('answers malformed JSON with 400 naming the body', async () => {
    await expectError(await h.post('/v1/route', '{"task_type": '), {
      status: 400,
      type: 'invalid_request',
      field: 'body',
    });
  });

  it('answers a missing task_type with 400 naming it', async () => {
    const { task_type: _, ...rest } = valid;
    await expectError(await h.post('/v1/route', rest), {
      status: 400,
      type: 'invalid_request',
      field: 'task_type',
    });
  });

  it('refuses metadata nested deeper than 16 levels, and takes 16', async () => {
    const nested = (levels: number) => {
      let value: Record<string, unknown> = { leaf: 1 };
      for (let i = 1; i < levels; i++) value = { a: value };
      return value;
    };
    const body = await expectError(await h.post('/v1/route', { ...valid, metadata: nested(17) }), {
      status: 400,
      type: 'invalid_request',
      field: 'metadata',
    });
    expect(body.error.message).toBe('metadata: nests deeper than 16 levels');
    expect((await h.post('/v1/route', { ...valid, metadata: nested(16) })).status).toBe(200);
  });

  it('wants exactly one of prompt and messages', async () => {
    const { prompt: _, ...none } = valid;
    await expectError(await h.post('/v1/route', none), {
      status: 400,
      type: 'invalid_request',
      field: 'prompt',
    });
    const both = { ...valid, messages: [{ role: 'user', content: 'x' }] };
    await expectError(await h.post('/v1/route', both), {
      status: 400,
      type: 'invalid_request',
      field: 'prompt',
    });
  });

  it('names the bad message inside messages', async () => {
    const { prompt: _, ...rest } = valid;
    const body = {
      ...rest,
      messages: [
        { role: 'user', content: 'ok' },
        { role: 'robot', content: 'x' },
      ],
    };
    await expectError(await h.post('/v1/route', body), {
      status: 400,
      type: 'invalid_request',
      field: 'messages[1].role',
    });
  });

  it('answers an unknown contract with 404', async () => {
    await expectError(await h.post('/v1/route', { ...valid, contract: 'nope' }), {
      status: 404,
      type: 'not_found',
      field: 'contract',
    });
  });

  it('answers an invalid inline schema with 400 naming schema', async () => {
    const { contract: _, ...rest } = valid;
    await expectError(await h.post('/v1/route', { ...rest, schema: { type: 'nonsense' } }), {
      status: 400,
      type: 'invalid_request',
      field: 'schema',
    });
  });

  it('answers a negative max_cost_usd with 400', async () => {
    await expectError(await h.post('/v1/route', { ...valid, max_cost_usd: -1 }), {
      status: 400,
      type: 'invalid_request',
      field: 'max_cost_usd',
    });
  });

  it('answers a body over the limit with 413', async () => {
    await expectError(await h.post('/v1/route', { ...valid, prompt: 'x'.repeat(5000) }), {
      status: 413,
      type: 'payload_too_large',
    });
  });

  it('answers an unknown path with 404, naming the path but not its query', async () => {
    const body = await expectError(await h.post('/v1/nothing?api_key=sk-secret-value', {}), {
      status: 404,
      type: 'not_found',
      field: 'path',
    });
    expect(body.error.message).toBe('path: /v1/nothing is not an endpoint of this gateway');
  });

  it('answers a known path asked with another method with 405 and allow', async () => {
    const chat = await fetch(`${h.gateway.url}/v1/chat/completions`);
    expect(chat.headers.get('allow')).toBe('POST');
    const body = await expectError(chat, {
      status: 405,
      type: 'method_not_allowed',
      field: 'method',
    });
    expect(body.error.message).toBe('method: GET is not served on /v1/chat/completions; use POST');

    const model = await fetch(`${h.gateway.url}/v1/models/cheap`, { method: 'DELETE' });
    expect(model.status).toBe(405);
    expect(model.headers.get('allow')).toBe('GET');
    const health = await h.post('/healthz', {});
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')).toBe('GET, HEAD');
  });

  it('reads a body that starts with a UTF-8 byte order mark', async () => {
    const response = await h.post('/v1/route', `\uFEFF${JSON.stringify(valid)}`);
    expect(response.status).toBe(200);
  });

  it('answers a compressed body with 415 naming content-encoding', async () => {
    const response = await fetch(`${h.gateway.url}/v1/route`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(valid)),
    });
    await expectError(response, {
      status: 415,
      type: 'unsupported_media_type',
      field: 'content-encoding',
    });
    // `identity` is no encoding at all.
    const plain = await h.post('/v1/route', valid, { 'content-encoding': 'identity' });
    expect(plain.status).toBe(200);
  });

  it('accepts an inline schema and validates against it', async () => {
    const { contract: _, ...rest } = valid;
    const schema = {
      type: 'object',
      required: ['n'],
      properties: { n: { type: 'integer', minimum: 3, maximum: 3 } },
    };
    const response = await h.post('/v1/route', { ...rest, schema });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { payload: unknown; confidence: unknown };
    expect(body.payload).toEqual({ n: 3 });
    expect(body.confidence).toBeNull();
  });
});

describe('health', () => {
  it('answers /healthz and /readyz, to HEAD as to GET', async () => {
    expect((await fetch(`${h.gateway.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${h.gateway.url}/readyz`)).json()).toEqual({ ready: true });
    expect((await fetch(`${h.gateway.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${h.gateway.url}/readyz`, { method: 'HEAD' })).status).toBe(200);
  });

  it('serves without waiting on an unreachable Redis', async () => {
    // Commands fail at once while Redis is down: with a 60 s command timeout,
    // a queued cache lookup would outlast this test's own timeout.
    const alone = await startHarness({
      extraYaml:
        'redis: { url: "redis://127.0.0.1:1", command_timeout_ms: 60000 }\n' +
        'cache: { backend: redis }\n',
    });
    try {
      const response = await alone.post('/v1/route', {
        task_type: 'classification',
        prompt: 'fine',
        contract: 'classification',
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-switchyard-cache')).toBe('miss');
    } finally {
      await alone.close();
    }
  });

  it('stays ready while its Redis is unreachable, and says so', async () => {
    // Nothing listens on port 1. The replica serves on state of its own; as
    // every replica shares the Redis, unready would take them all out at once.
    const alone = await startHarness({ extraYaml: 'redis: { url: "redis://127.0.0.1:1" }\n' });
    try {
      const response = await fetch(`${alone.gateway.url}/readyz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ready: true, redis: 'unreachable' });
    } finally {
      await alone.close();
    }
  });
});

describe('metadata', () => {
  it('is refused longer than 16,384 characters as JSON', async () => {
    // This file's shared gateway takes 4 KB bodies; the default takes 1 MiB.
    const roomy = await startHarness();
    try {
      const body = await expectError(
        await roomy.post('/v1/route', {
          task_type: 'classification',
          prompt: 'fine',
          contract: 'classification',
          metadata: { note: 'x'.repeat(20_000) },
        }),
        { status: 400, type: 'invalid_request', field: 'metadata' },
      );
      expect(body.error.message).toBe('metadata: is longer than 16384 characters as JSON');
    } finally {
      await roomy.close();
    }
  });
});

describe('the log', () => {
  it('has one line for a request refused before routing, without what was sent', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk, _encoding, done) {
          for (const line of String(chunk).split('\n').filter(Boolean))
            lines.push(JSON.parse(line));
          done();
        },
      }),
    });
    const logged = await startHarness({ logger });
    try {
      const response = await logged.post('/v1/route', { task_type: 'secret-ish', prompt: 1 });
      const requestId = response.headers.get('x-request-id');
      const line = lines.find((l) => l.request_id === requestId);
      expect(line).toMatchObject({
        msg: 'request refused',
        method: 'POST',
        endpoint: '/v1/route',
        status: 400,
        error_type: 'invalid_request',
      });
      expect(JSON.stringify(line)).not.toContain('secret-ish');
    } finally {
      await logged.close();
    }
  });
});

describe('a request too large for every deployment', () => {
  it('is the client’s to change: 400 naming max_tokens, with each refusal', async () => {
    const response = await h.post('/v1/chat/completions', {
      model: 'cheap',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 100_000_000,
    });
    const body = await expectError(response, {
      status: 400,
      type: 'invalid_request',
      field: 'max_tokens',
    });
    expect(body.error.message).toBe(
      "max_tokens: 100000000 output tokens with this prompt fit no deployment's context window",
    );
    expect(
      Object.keys((body.error as Record<string, unknown>).refused as object).length,
    ).toBeGreaterThan(0);
  });
});

describe('/v1/chat/completions with the official openai client', () => {
  const client = () =>
    new OpenAI({ baseURL: `${h.gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  it('answers a plain chat completion on a tier', async () => {
    const completion = await client().chat.completions.create({
      model: 'cheap',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    expect(completion.model).toBe('gpt-4o-mini-2024-07-18');
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('lists the models and retrieves one by id, or answers 404', async () => {
    const ids = [];
    for await (const model of client().models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['auto', 'cheap', 'gpt-4o-mini-2024-07-18']));

    const model = await client().models.retrieve('gpt-4o-mini-2024-07-18');
    expect(model).toMatchObject({ id: 'gpt-4o-mini-2024-07-18', object: 'model' });
    expect((await client().models.retrieve('cheap')).id).toBe('cheap');

    const missing = await client()
      .models.retrieve('gpt-nonexistent')
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).message).toContain(
      'no tier or configured model named "gpt-nonexistent"',
    );
  });

  it('answers a refusal as OpenAI does: 200, content null, message.refusal', async () => {
    const { data, response } = await client()
      .chat.completions.create(
        { model: 'cheap', messages: [{ role: 'user', content: 'Do something bad.' }] },
        { headers: { 'x-sim-scenario': 'refusal' } },
      )
      .withResponse();
    expect(response.status).toBe(200);
    const message = data.choices[0]!.message;
    expect(message.content).toBeNull();
    expect(message.refusal?.length).toBeGreaterThan(0);
    expect(data.choices[0]!.finish_reason).toBe('stop');
  });

  it('validates a json_schema response_format, repairing and escalating', async () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['city', 'population'],
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
    };
    h.sim.script('gpt-4o-mini-2024-07-18', ['missing_field']);
    const { data, response } = await client()
      .chat.completions.create(
        {
          model: 'auto',
          messages: [{ role: 'user', content: 'Biggest city in France?' }],
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'city', schema, strict: true },
          },
        },
        { headers: { 'x-task-type': 'classification' } },
      )
      .withResponse();
    const parsed = JSON.parse(data.choices[0]!.message.content!) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['city', 'population']);
    // The cheap answer missed a field; the mid tier answered.
    expect(data.model).toBe('gpt-4o-2024-08-06');
    expect(response.headers.get('x-switchyard-tier')).toBe('mid');
  });

  it('routes a configured model name to its deployment', async () => {
    const completion = await client().chat.completions.create({
      model: 'o1-2024-12-17',
      messages: [{ role: 'user', content: 'Think' }],
    });
    expect(completion.model).toBe('o1-2024-12-17');
  });

  it('surfaces an unknown model as the SDK NotFoundError', async () => {
    const error = await client()
      .chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('not_found');
  });

  it('surfaces bad input as the SDK BadRequestError naming the field', async () => {
    const error = await client()
      .chat.completions.create({ model: 'cheap', messages: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain('messages: must hold at least one message');
  });
});

describe('a request body sent too slowly', () => {
  it('is cut off with 408 once the request deadline has passed', async () => {
    const r = await startHarness({ extraYaml: 'deadline_ms: 1500' });
    try {
      const { port } = new URL(r.gateway.url);
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.write(
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n' +
          'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{',
      );
      // One byte now and then, never the whole body.
      const trickle = setInterval(() => socket.write(' '), 200);
      const startedMs = Date.now();
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      await once(socket, 'close');
      clearInterval(trickle);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      const tookMs = Date.now() - startedMs;
      expect(tookMs).toBeGreaterThanOrEqual(1_400);
      expect(tookMs).toBeLessThan(10_000);
    } finally {
      await r.close();
    }
  });
});
