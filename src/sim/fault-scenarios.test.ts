import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './index.js';
import type { RunningSimulator } from './types.js';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11 });
});
afterAll(() => sim.close());

const chatBody = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Classify this.' }] };
const schema = {
  type: 'object',
  properties: {
    label: { type: 'string', enum: ['a', 'b'] },
    at: { type: 'string', format: 'date-time' },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['label', 'at', 'tags'],
  additionalProperties: false,
};
const structuredBody = {
  ...chatBody,
  response_format: { type: 'json_schema', json_schema: { name: 'c', schema, strict: true } },
};

function openai(options: { scenario?: string; body?: unknown; headers?: Record<string, string> }) {
  return fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer test',
      ...(options.scenario && { 'x-sim-scenario': options.scenario }),
      ...options.headers,
    },
    body: JSON.stringify(options.body ?? chatBody),
  });
}

function anthropic(options: { scenario?: string; headers?: Record<string, string> }) {
  return fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'test',
      'anthropic-version': '2023-06-01',
      ...(options.scenario && { 'x-sim-scenario': options.scenario }),
      ...options.headers,
    },
    body: JSON.stringify({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: chatBody.messages,
    }),
  });
}

interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
interface CompletionBody {
  choices: Array<{ message: { content: string }; finish_reason: string }>;
}

async function content(response: Response): Promise<string> {
  const body = (await response.json()) as CompletionBody;
  return body.choices[0]?.message.content ?? '';
}

describe('rate-limit faults', () => {
  it('rate_limit answers 429 with retry-after seconds and nothing remaining', async () => {
    const response = await openai({ scenario: 'rate_limit' });
    const body = (await response.json()) as OpenAiErrorBody;
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('retry-after-ms')).toBeNull();
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect(response.headers.get('x-ratelimit-reset-requests')).toBe('1s');
    expect(body.error).toMatchObject({
      type: 'requests',
      code: 'rate_limit_exceeded',
      param: null,
    });
    expect(body.error.message).toMatch(
      /^Rate limit reached for gpt-4o .* Please try again in 1s\./,
    );
  });

  it('rate_limit_ms sends retry-after-ms only', async () => {
    const response = await openai({ scenario: 'rate_limit_ms:250' });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after-ms')).toBe('250');
    expect(response.headers.get('retry-after')).toBeNull();
    expect(response.headers.get('x-ratelimit-reset-requests')).toBe('250ms');
  });

  it('rate_limit_date sends retry-after as an HTTP-date after the Date header', async () => {
    const response = await openai({ scenario: 'rate_limit_date:30' });
    const retryAt = Date.parse(response.headers.get('retry-after') ?? '');
    const sentAt = Date.parse(response.headers.get('date') ?? '');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toMatch(/GMT$/);
    expect(retryAt - sentAt).toBe(30_000);
  });

  it('rate_limit_bare sends no retry header at all', async () => {
    const response = await openai({ scenario: 'rate_limit_bare' });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(response.headers.get('retry-after-ms')).toBeNull();
  });

  it('request_too_large words the 429 as OpenAI does', async () => {
    const response = await openai({ scenario: 'request_too_large' });
    const body = (await response.json()) as OpenAiErrorBody;
    expect(response.status).toBe(429);
    expect(body.error.type).toBe('tokens');
    expect(body.error.code).toBe('rate_limit_exceeded');
    expect(body.error.message).toMatch(/^Request too large for gpt-4o in organization \S+ /);
    expect(body.error.message).toContain('on tokens per min (TPM): Limit 30000, Requested 50000.');
  });

  it('low_tokens succeeds but reports few tokens left', async () => {
    const response = await openai({ scenario: 'low_tokens:42' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe('42');
  });

  it('Anthropic 429s carry retry-after and exhausted anthropic-ratelimit headers', async () => {
    const response = await anthropic({ scenario: 'rate_limit:4' });
    const body = (await response.json()) as { type: string; error: { type: string } };
    expect(response.status).toBe(429);
    expect(body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(response.headers.get('retry-after')).toBe('4');
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(response.headers.get('anthropic-ratelimit-tokens-remaining')).toBe('0');
    const resetMs = Date.parse(response.headers.get('anthropic-ratelimit-requests-reset') ?? '');
    expect(resetMs).toBeGreaterThan(Date.now());
  });
});

describe('server and transport faults', () => {
  it('server_error is a 500 with a server_error body', async () => {
    const response = await openai({ scenario: 'server_error' });
    const body = (await response.json()) as OpenAiErrorBody;
    expect(response.status).toBe(500);
    expect(body.error).toMatchObject({ type: 'server_error', param: null, code: null });
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('bad_gateway_html is a 502 HTML page', async () => {
    const response = await openai({ scenario: 'bad_gateway_html' });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(await response.text()).toContain('<title>502 Bad Gateway</title>');
  });

  it('unavailable is a 503 on both APIs', async () => {
    expect((await openai({ scenario: 'unavailable' })).status).toBe(503);
    expect((await anthropic({ scenario: 'unavailable' })).status).toBe(503);
  });

  it('overloaded is a 529 overloaded_error on both APIs', async () => {
    const fromOpenAi = await openai({ scenario: 'overloaded' });
    const fromAnthropic = await anthropic({ scenario: 'overloaded' });
    expect(fromOpenAi.status).toBe(529);
    expect(((await fromOpenAi.json()) as OpenAiErrorBody).error.type).toBe('overloaded_error');
    expect(fromAnthropic.status).toBe(529);
    expect(await fromAnthropic.json()).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    expect(fromAnthropic.headers.get('request-id')).toMatch(/^req_011C/);
  });

  it('reset destroys the socket without an answer', async () => {
    await expect(openai({ scenario: 'reset' })).rejects.toThrow(TypeError);
  });

  it('context_length is a 400 context_length_exceeded on OpenAI', async () => {
    const response = await openai({ scenario: 'context_length' });
    const body = (await response.json()) as OpenAiErrorBody;
    expect(response.status).toBe(400);
    expect(body.error).toMatchObject({
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    });
    expect(body.error.message).toMatch(/maximum context length is 128000 tokens/);
  });

  it('auth_error is a 401 invalid_api_key', async () => {
    const response = await openai({ scenario: 'auth_error' });
    expect(response.status).toBe(401);
    expect(((await response.json()) as OpenAiErrorBody).error.code).toBe('invalid_api_key');
  });
});

describe('content faults', () => {
  it('fenced_json wraps valid JSON in a ```json fence', async () => {
    const text = await content(await openai({ scenario: 'fenced_json', body: structuredBody }));
    expect(text.startsWith('```json\n')).toBe(true);
    expect(text.endsWith('\n```')).toBe(true);
    const inner = JSON.parse(text.slice(8, -4)) as Record<string, unknown>;
    expect(Object.keys(inner)).toEqual(['label', 'at', 'tags']);
  });

  it('trailing_comma leaves commas before closing brackets', async () => {
    const text = await content(await openai({ scenario: 'trailing_comma', body: structuredBody }));
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(text).toMatch(/,\]/);
    expect(text.endsWith(',}')).toBe(true);
    const repaired = JSON.parse(text.replace(/,([}\]])/g, '$1')) as Record<string, unknown>;
    expect(Object.keys(repaired)).toEqual(['label', 'at', 'tags']);
  });

  it('missing_field drops the first required property', async () => {
    const text = await content(await openai({ scenario: 'missing_field', body: structuredBody }));
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['at', 'tags']);
  });

  it('naive_timestamp writes date-times without a timezone', async () => {
    const text = await content(await openai({ scenario: 'naive_timestamp', body: structuredBody }));
    expect((JSON.parse(text) as { at: string }).at).toBe('2024-05-01T10:00:00');
  });

  it('truncated cuts the JSON in the middle with finish_reason length', async () => {
    const whole = await content(await openai({ body: structuredBody }));
    const response = await openai({ scenario: 'truncated', body: structuredBody });
    const body = (await response.json()) as CompletionBody;
    const text = body.choices[0]?.message.content ?? '';
    expect(body.choices[0]?.finish_reason).toBe('length');
    expect(text.length).toBe(Math.floor(whole.length / 2));
    expect(whole.startsWith(text)).toBe(true);
  });

  it('Anthropic truncated reports stop_reason max_tokens', async () => {
    const body = (await (await anthropic({ scenario: 'truncated' })).json()) as {
      stop_reason: string;
    };
    expect(body.stop_reason).toBe('max_tokens');
  });
});

describe('stream faults on the wire', () => {
  it('stream_error_before_content sends 200 then an OpenAI error data line', async () => {
    const body = { ...chatBody, stream: true };
    const response = await openai({ scenario: 'stream_error_before_content', body });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(text.startsWith('data: {"error":{')).toBe(true);
    expect(text).not.toContain('[DONE]');
  });

  it('stream_drop destroys the socket mid-stream', async () => {
    const response = await openai({ scenario: 'stream_drop', body: { ...chatBody, stream: true } });
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it('stream_error_before_content on Anthropic sends message_start then event: error', async () => {
    const response = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': 'k',
        'anthropic-version': '2023-06-01',
        'x-sim-scenario': 'stream_error_before_content',
      },
      body: JSON.stringify({
        model: 'c',
        max_tokens: 9,
        stream: true,
        messages: chatBody.messages,
      }),
    });
    const events = [...(await response.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events).toEqual(['message_start', 'ping', 'error']);
  });
});

describe('request checks', () => {
  it('answers 401 without a bearer key, as OpenAI does', async () => {
    const response = await openai({ headers: { authorization: '' } });
    const body = (await response.json()) as OpenAiErrorBody;
    expect(response.status).toBe(401);
    expect(body.error.message).toMatch(/^You didn't provide an API key/);
  });

  it('answers 400 with param model when the model is missing', async () => {
    const response = await openai({ body: { messages: chatBody.messages } });
    const body = (await response.json()) as OpenAiErrorBody;
    expect(response.status).toBe(400);
    expect(body.error).toMatchObject({ param: 'model', code: 'missing_required_parameter' });
  });

  it('answers 400 for an empty messages array', async () => {
    const response = await openai({ body: { model: 'gpt-4o', messages: [] } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as OpenAiErrorBody).error.code).toBe('empty_array');
  });

  it('requires x-api-key and anthropic-version on Anthropic', async () => {
    const noKey = await anthropic({ headers: { 'x-api-key': '' } });
    const noVersion = await anthropic({ headers: { 'anthropic-version': '' } });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ error: { type: 'authentication_error' } });
    expect(noKey.headers.get('request-id')).toMatch(/^req_/);
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
  });

  it('refuses an unknown scenario with a 400 naming it', async () => {
    const response = await openai({ scenario: 'no_such_thing' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as OpenAiErrorBody).error.message).toContain("'no_such_thing'");
  });

  it('answers unknown paths with a 404 in the API shape', async () => {
    const response = await fetch(`${sim.url}/v1/nothing`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as OpenAiErrorBody).error.message).toBe(
      'Invalid URL (POST /v1/nothing)',
    );
  });
});
