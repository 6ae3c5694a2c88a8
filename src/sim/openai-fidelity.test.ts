import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countMessageTokens, countTokens } from '../cost/count-tokens.js';
import { startSimulator } from './index.js';
import type { RunningSimulator } from './types.js';

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7 });
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(() => sim.close());

const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Say hello to the simulator.' },
];

function scenario(name: string) {
  return { headers: { 'x-sim-scenario': name } };
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('OpenAI chat completions through the official client', () => {
  it('returns a completion whose usage counts the prompt and the reply', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    const text = data.choices[0]?.message.content ?? '';
    expect(data.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gpt-4o-mini');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.choices[0]?.message).toEqual({
      role: 'assistant',
      content: text,
      refusal: null,
      annotations: [],
    });
    expect(text).toMatch(/^Simulated reply [0-9a-f]{8}:/);
    expect(data.usage?.prompt_tokens).toBe(countMessageTokens(messages));
    expect(data.usage?.completion_tokens).toBe(countTokens(text));
    expect(data.usage?.total_tokens).toBe(countMessageTokens(messages) + countTokens(text));
    expect(data.usage?.completion_tokens_details?.reasoning_tokens).toBe(0);
    expect(data.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(response.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
  });

  it('gives the same text for the same prompt', async () => {
    const first = await client.chat.completions.create({ model: 'gpt-4o', messages });
    const second = await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(second.choices[0]?.message.content).toBe(first.choices[0]?.message.content);
  });

  it('adds reasoning tokens for o-series models', async () => {
    const data = await client.chat.completions.create({ model: 'o3-mini', messages });
    const text = data.choices[0]?.message.content ?? '';
    expect(data.usage?.completion_tokens_details?.reasoning_tokens).toBe(64);
    expect(data.usage?.completion_tokens).toBe(countTokens(text) + 64);
  });

  it('answers json_schema with JSON that fits the schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        label: { type: 'string', enum: ['spam', 'ham'] },
        confidence: { type: 'number', minimum: 0, maximum: 1 },
      },
      required: ['label', 'confidence'],
      additionalProperties: false,
    };
    const data = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'verdict', schema, strict: true },
      },
    });
    const parsed = JSON.parse(data.choices[0]?.message.content ?? '') as Record<string, unknown>;
    expect(['spam', 'ham']).toContain(parsed.label);
    expect(parsed.confidence).toBe(0.9);
  });

  it('answers a json_schema with $defs and formats with JSON that Ajv accepts', async () => {
    const schema = {
      $defs: {
        item: {
          type: 'object',
          properties: {
            sku: { type: 'string', pattern: '^[A-Z]{3}-\\d{3}$' },
            qty: { type: 'integer', minimum: 1 },
          },
          required: ['sku', 'qty'],
          additionalProperties: false,
        },
      },
      type: 'object',
      properties: {
        orderId: { type: 'string', format: 'uuid' },
        placedAt: { type: 'string', format: 'date-time' },
        items: { type: 'array', items: { $ref: '#/$defs/item' }, minItems: 2 },
        note: { type: ['string', 'null'] },
      },
      required: ['orderId', 'placedAt', 'items', 'note'],
      additionalProperties: false,
    };
    const data = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'order', schema, strict: true },
      },
    });
    const ajv = new Ajv2020({ strict: false });
    addFormatsModule.default(ajv);
    const validate = ajv.compile(schema);
    const value: unknown = JSON.parse(data.choices[0]?.message.content ?? '');
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
  });

  it('streams a refusal in refusal deltas', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      scenario('refusal'),
    );
    const chunks = await collect(stream);
    const refusal = chunks.map((chunk) => chunk.choices[0]?.delta.refusal ?? '').join('');
    expect(refusal).toMatch(/^I'm sorry, but I can't help/);
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.content)).toBe(false);
  });

  it('answers json_object with the schema fenced in the system message', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const system = `Reply with JSON matching:\n\`\`\`json\n${JSON.stringify(schema)}\n\`\`\``;
    const data = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: 'Where?' },
      ],
      response_format: { type: 'json_object' },
    });
    const parsed = JSON.parse(data.choices[0]?.message.content ?? '') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['city']);
    expect(typeof parsed.city).toBe('string');
  });

  it('cuts the reply at max_completion_tokens and reports length', async () => {
    const data = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      max_completion_tokens: 5,
    });
    expect(data.choices[0]?.finish_reason).toBe('length');
    expect(data.usage?.completion_tokens).toBeLessThanOrEqual(5);
    expect(countTokens(data.choices[0]?.message.content ?? '')).toBe(data.usage?.completion_tokens);
  });

  it('reports cached prompt tokens from cached:N', async () => {
    const data = await client.chat.completions.create(
      { model: 'gpt-4o', messages },
      scenario('cached:10'),
    );
    expect(data.usage?.prompt_tokens_details?.cached_tokens).toBe(10);
    expect(data.usage?.prompt_tokens).toBe(countMessageTokens(messages));
  });

  it('sets refusal and a null content for refusal', async () => {
    const data = await client.chat.completions.create(
      { model: 'gpt-4o', messages },
      scenario('refusal'),
    );
    expect(data.choices[0]?.message.content).toBeNull();
    expect(data.choices[0]?.message.refusal).toMatch(/can't help/);
  });

  it('returns no choices for empty_choices', async () => {
    const data = await client.chat.completions.create(
      { model: 'gpt-4o', messages },
      scenario('empty_choices'),
    );
    expect(data.choices).toEqual([]);
  });

  it('streams a role chunk, content, a finish chunk and a usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    const first = chunks[0];
    const last = chunks.at(-1);
    expect(first?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    const contentChunks = chunks.filter((chunk) => chunk.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThan(2);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(countTokens(text));
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  it('rebuilds the completion with the SDK stream helper', async () => {
    const final = await client.chat.completions
      .stream({ model: 'gpt-4o', messages, stream_options: { include_usage: true } })
      .finalChatCompletion();
    const whole = await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(final.choices[0]?.message.content).toBe(whole.choices[0]?.message.content);
    expect(final.choices[0]?.finish_reason).toBe('stop');
    expect(final.usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
  });

  it('fills parsed for chat.completions.parse with a strict schema', async () => {
    const schema = {
      type: 'object',
      properties: { answer: { type: 'integer', minimum: 40, maximum: 42 } },
      required: ['answer'],
      additionalProperties: false,
    };
    const data = await client.chat.completions.parse({
      model: 'gpt-4o',
      messages,
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema, strict: true } },
    });
    expect(data.choices[0]?.message.parsed).toEqual({ answer: 40 });
  });

  it('streams without usage keys unless include_usage is set', async () => {
    const chunks = await collect(
      await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true }),
    );
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('delivers split UTF-8 intact, streamed and not', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      scenario('split_utf8'),
    );
    const text = (await collect(stream))
      .map((chunk) => chunk.choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toContain('café ✓ 日本');
    const whole = await client.chat.completions.create(
      { model: 'gpt-4o', messages },
      scenario('split_utf8'),
    );
    expect(whole.choices[0]?.message.content).toContain('café ✓ 日本');
  });

  it('sends a first chunk without choices for empty_choices_first', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      scenario('empty_choices_first'),
    );
    const chunks = await collect(stream);
    expect(chunks[0]?.choices).toEqual([]);
    expect(chunks[1]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toMatch(
      /^Simulated/,
    );
  });

  it('raises an APIError from an error event before any content', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      scenario('stream_error_before_content'),
    );
    const seen: ChatCompletionChunk[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toMatch(/server had an error/);
    expect(seen).toEqual([]);
  });

  it('raises an APIError after some content for stream_error_after_content', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      scenario('stream_error_after_content'),
    );
    const seen: ChatCompletionChunk[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(seen.some((chunk) => chunk.choices[0]?.delta.content)).toBe(true);
  });

  it('fails the iteration when the stream is dropped', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      scenario('stream_drop'),
    );
    await expect(collect(stream)).rejects.toThrow();
  });
});

describe('OpenAI errors through the official client', () => {
  const cases: Array<[string, number, new (...args: never[]) => Error]> = [
    ['rate_limit:3', 429, OpenAI.RateLimitError],
    ['server_error', 500, OpenAI.InternalServerError],
    ['unavailable', 503, OpenAI.InternalServerError],
    ['overloaded', 529, OpenAI.InternalServerError],
    ['context_length', 400, OpenAI.BadRequestError],
    ['auth_error', 401, OpenAI.AuthenticationError],
    ['request_too_large', 429, OpenAI.RateLimitError],
  ];
  for (const [name, status, errorClass] of cases) {
    it(`surfaces ${name} as ${errorClass.name} with status ${status}`, async () => {
      const error = await client.chat.completions
        .create({ model: 'gpt-4o', messages }, scenario(name))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(errorClass);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    });
  }

  it('gives a RateLimitError its retry headers and code', async () => {
    const error = (await client.chat.completions
      .create({ model: 'gpt-4o', messages }, scenario('rate_limit:3'))
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.headers?.get('retry-after')).toBe('3');
    expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(error.headers?.get('x-ratelimit-reset-requests')).toBe('3s');
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.type).toBe('requests');
  });

  it('says context_length_exceeded with param messages', async () => {
    const error = (await client.chat.completions
      .create({ model: 'gpt-4o', messages }, scenario('context_length'))
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(error.code).toBe('context_length_exceeded');
    expect(error.param).toBe('messages');
    expect(error.type).toBe('invalid_request_error');
  });

  it('refuses a request without messages with param messages', async () => {
    const error = (await client.chat.completions
      .create({ model: 'gpt-4o' } as never)
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe('messages');
    expect(error.code).toBe('missing_required_parameter');
  });

  it('reads truncated JSON as cut with finish_reason length', async () => {
    const data = await client.chat.completions.create(
      {
        model: 'gpt-4o',
        messages,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'x',
            schema: { type: 'object', properties: { a: { type: 'string' } } },
          },
        },
      },
      scenario('truncated'),
    );
    expect(data.choices[0]?.finish_reason).toBe('length');
    expect(() => JSON.parse(data.choices[0]?.message.content ?? '')).toThrow();
  });
});
