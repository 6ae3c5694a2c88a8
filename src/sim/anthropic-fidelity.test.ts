import Anthropic from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countMessageTokens, countTokens } from '../cost/count-tokens.js';
import { startSimulator } from './index.js';
import type { RunningSimulator } from './types.js';

let sim: RunningSimulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3 });
  client = new Anthropic({ baseURL: sim.url, apiKey: 'test', maxRetries: 0 });
});
afterAll(() => sim.close());

const system = 'You are terse.';
const messages = [{ role: 'user' as const, content: 'Say hello to the simulator.' }];
const promptTokens = countMessageTokens([{ role: 'system', content: system }, ...messages]);
const base = { model: 'claude-sonnet-4-5', max_tokens: 256, system, messages };

function scenario(name: string) {
  return { headers: { 'x-sim-scenario': name } };
}

const ticketSchema = {
  type: 'object' as const,
  properties: {
    priority: { type: 'string', enum: ['low', 'high'] },
    due: { type: 'string', format: 'date-time' },
  },
  required: ['priority', 'due'],
};
const toolRequest = {
  ...base,
  tools: [{ name: 'file_ticket', description: 'File a ticket', input_schema: ticketSchema }],
  tool_choice: { type: 'tool' as const, name: 'file_ticket' },
};

describe('Anthropic messages through the official client', () => {
  it('returns a message with text and usage', async () => {
    const { data, response } = await client.messages.create(base).withResponse();
    const block = data.content[0];
    expect(data.id).toMatch(/^msg_01[A-Za-z0-9]{22}$/);
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.stop_reason).toBe('end_turn');
    expect(data.stop_sequence).toBeNull();
    expect(block?.type).toBe('text');
    const text = block?.type === 'text' ? block.text : '';
    expect(data.usage).toMatchObject({
      input_tokens: promptTokens,
      output_tokens: countTokens(text),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect(response.headers.get('request-id')).toMatch(/^req_011C/);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('10000');
    expect(response.headers.get('anthropic-ratelimit-input-tokens-reset')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
  });

  it('excludes cache reads from input_tokens', async () => {
    const data = await client.messages.create(base, scenario('cached:5'));
    expect(data.usage.cache_read_input_tokens).toBe(5);
    expect(data.usage.input_tokens).toBe(promptTokens - 5);
  });

  it('answers a forced tool with a tool_use block whose input fits the schema', async () => {
    const data = await client.messages.create(toolRequest);
    const block = data.content[0];
    expect(data.stop_reason).toBe('tool_use');
    expect(block?.type).toBe('tool_use');
    if (block?.type !== 'tool_use') return;
    expect(block.id).toMatch(/^toolu_01/);
    expect(block.name).toBe('file_ticket');
    const input = block.input as { priority: string; due: string };
    expect(['low', 'high']).toContain(input.priority);
    expect(input.due).toBe('2024-05-01T10:00:00Z');
  });

  it('writes naive timestamps and drops a required field when asked', async () => {
    const data = await client.messages.create(
      toolRequest,
      scenario('naive_timestamp,missing_field'),
    );
    const block = data.content[0];
    const input = (block?.type === 'tool_use' ? block.input : {}) as Record<string, unknown>;
    expect(input).toEqual({ due: '2024-05-01T10:00:00' });
  });

  it('reports stop_reason refusal', async () => {
    const data = await client.messages.create(base, scenario('refusal'));
    expect(data.stop_reason).toBe('refusal');
    expect(data.content).toEqual([]);
  });

  it('cuts the reply at max_tokens', async () => {
    const data = await client.messages.create({ ...base, max_tokens: 4 });
    expect(data.stop_reason).toBe('max_tokens');
    expect(data.usage.output_tokens).toBeLessThanOrEqual(4);
  });

  it('streams the event sequence and rebuilds the message with finalMessage()', async () => {
    const stream = client.messages.stream(base);
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    const whole = await client.messages.create(base);
    expect(types[0]).toBe('message_start');
    expect(types.slice(1, 2)).toEqual(['content_block_start']);
    expect(types.filter((type) => type === 'content_block_delta').length).toBeGreaterThan(2);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(final.content).toEqual(whole.content);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(whole.usage.output_tokens);
    expect(final.usage.input_tokens).toBe(promptTokens);
  });

  it('streams raw events with stream: true, including ping', async () => {
    const stream = await client.messages.create({ ...base, stream: true });
    const events: RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const start = events[0];
    expect(start?.type === 'message_start' && start.message.stop_reason).toBeNull();
    const delta = events.find((event) => event.type === 'message_delta');
    expect(delta?.type === 'message_delta' && delta.delta.stop_reason).toBe('end_turn');
  });

  it('streams a tool call as input_json_delta pieces that finalMessage() parses', async () => {
    const final = await client.messages.stream(toolRequest).finalMessage();
    const block = final.content[0];
    expect(final.stop_reason).toBe('tool_use');
    expect(block?.type === 'tool_use' && Object.keys(block.input as object)).toEqual([
      'priority',
      'due',
    ]);
  });

  it('delivers split UTF-8 intact in a stream', async () => {
    const final = await client.messages.stream(base, scenario('split_utf8')).finalMessage();
    const block = final.content[0];
    expect(block?.type === 'text' && block.text).toContain('café ✓ 日本');
  });

  it('raises an overloaded APIError from a mid-stream error event', async () => {
    const error = await client.messages
      .stream(base, scenario('stream_error_after_content'))
      .finalMessage()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
  });
});

describe('Anthropic errors through the official client', () => {
  const cases: Array<[string, number, new (...args: never[]) => Error, string]> = [
    ['rate_limit:2', 429, Anthropic.RateLimitError, 'rate_limit_error'],
    ['overloaded', 529, Anthropic.InternalServerError, 'overloaded_error'],
    ['server_error', 500, Anthropic.InternalServerError, 'api_error'],
    ['context_length', 400, Anthropic.BadRequestError, 'invalid_request_error'],
    ['auth_error', 401, Anthropic.AuthenticationError, 'authentication_error'],
  ];
  for (const [name, status, errorClass, type] of cases) {
    it(`surfaces ${name} as ${errorClass.name} (${status}, ${type})`, async () => {
      const error = (await client.messages
        .create(base, scenario(name))
        .catch((caught: unknown) => caught)) as InstanceType<typeof Anthropic.APIError>;
      expect(error).toBeInstanceOf(errorClass);
      expect(error.status).toBe(status);
      expect(error.type).toBe(type);
      expect(error.requestID).toMatch(/^req_011C/);
    });
  }

  it('says how long the prompt is for context_length', async () => {
    const error = (await client.messages
      .create(base, scenario('context_length'))
      .catch((caught: unknown) => caught)) as InstanceType<typeof Anthropic.APIError>;
    expect(error.message).toContain(
      `prompt is too long: ${200_000 + promptTokens} tokens > 200000 maximum`,
    );
  });

  it('gives a 429 retry-after and zero remaining requests', async () => {
    const error = (await client.messages
      .create(base, scenario('rate_limit:2'))
      .catch((caught: unknown) => caught)) as InstanceType<typeof Anthropic.RateLimitError>;
    expect(error.headers?.get('retry-after')).toBe('2');
    expect(error.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
  });

  it('refuses a system role inside messages', async () => {
    const error = await client.messages
      .create({ ...base, messages: [{ role: 'system', content: 'x' }] } as never)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    const body = (error as InstanceType<typeof Anthropic.APIError>).error as {
      error: { message: string };
    };
    expect(body.error.message).toContain('Unexpected role "system"');
  });
});
