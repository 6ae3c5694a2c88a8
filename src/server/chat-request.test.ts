import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { ContractRegistry } from '../contracts/contract-registry.js';
import { GatewayError } from '../errors/gateway-error.js';
import { REPO_ROOT, simConfigYaml } from '../test-support/gateway-harness.js';
import { parseChatRequest } from './chat-request.js';
import { parseRouteRequest } from './route-request.js';

const { config } = parseConfig(simConfigYaml('http://127.0.0.1:9'), {
  env: {},
  baseDir: REPO_ROOT,
  source: 'test',
});
const contracts = ContractRegistry.fromDirectory(config.contractsDir);
const base = { model: 'cheap', messages: [{ role: 'user', content: 'hi' }] };

function parse(body: Record<string, unknown>) {
  return parseChatRequest({ ...base, ...body }, { config, contracts, taskType: undefined });
}

function messageOf(body: Record<string, unknown>): string {
  try {
    parse(body);
  } catch (error) {
    if (error instanceof GatewayError && error.status === 400) return error.message;
    throw error;
  }
  throw new Error('expected a 400');
}

describe('stream and stream_options on a chat request', () => {
  it('reads no stream when none is asked for, or stream: false', () => {
    expect(parse({}).stream).toBeUndefined();
    expect(parse({ stream: false }).stream).toBeUndefined();
  });

  it('streams without a usage chunk unless include_usage is true', () => {
    expect(parse({ stream: true }).stream).toEqual({ includeUsage: false });
    expect(parse({ stream: true, stream_options: {} }).stream).toEqual({ includeUsage: false });
    expect(parse({ stream: true, stream_options: { include_usage: false } }).stream).toEqual({
      includeUsage: false,
    });
    expect(parse({ stream: true, stream_options: { include_usage: true } }).stream).toEqual({
      includeUsage: true,
    });
  });

  it('accepts include_obfuscation and ignores it', () => {
    const options = { include_usage: true, include_obfuscation: false };
    expect(parse({ stream: true, stream_options: options }).stream).toEqual({ includeUsage: true });
  });

  it('rejects stream_options without stream, as OpenAI does', () => {
    expect(messageOf({ stream_options: { include_usage: true } })).toBe(
      'stream_options: is only allowed when stream is true',
    );
    expect(messageOf({ stream: false, stream_options: { include_usage: true } })).toBe(
      'stream_options: is only allowed when stream is true',
    );
  });

  it('names the field at fault in a malformed stream request', () => {
    expect(messageOf({ stream: 'yes' })).toBe('stream: must be a boolean');
    expect(messageOf({ stream: true, stream_options: [] })).toBe(
      'stream_options: must be an object',
    );
    expect(messageOf({ stream: true, stream_options: { include_usage: 'yes' } })).toBe(
      'stream_options.include_usage: must be a boolean',
    );
    expect(messageOf({ stream: true, stream_options: { chunk_size: 3 } })).toBe(
      'stream_options.chunk_size: is not a supported parameter',
    );
  });
});

describe('parameters SDKs send that change nothing here', () => {
  it('accepts and ignores them', () => {
    const parsed = parse({
      ...base,
      service_tier: 'auto',
      prompt_cache_key: 'k1',
      safety_identifier: 'user-123',
      parallel_tool_calls: true,
      logprobs: false,
      tool_choice: 'none',
      modalities: ['text'],
    });
    expect(parsed.job.messages).toEqual(base.messages);
  });

  it('refuses the values that ask for what the gateway lacks, naming the field', () => {
    expect(messageOf({ ...base, logprobs: true })).toBe(
      'logprobs: only false is supported (no log probabilities)',
    );
    expect(messageOf({ ...base, tool_choice: 'auto' })).toBe(
      'tool_choice: tool calling is not supported by this gateway yet',
    );
    expect(messageOf({ ...base, modalities: ['text', 'audio'] })).toBe(
      'modalities: only ["text"] is supported',
    );
    expect(messageOf({ ...base, audio: { voice: 'alloy' } })).toBe(
      'audio: is not a supported parameter',
    );
    expect(messageOf(JSON.parse('{"model":"cheap","messages":[],"constructor":1}'))).toBe(
      'constructor: is not a supported parameter',
    );
  });
});

describe('response_format json_schema on a chat request', () => {
  const schema = { type: 'object', properties: { n: { type: 'integer' } } };
  const format = (json_schema: Record<string, unknown>) => ({
    response_format: { type: 'json_schema', json_schema },
  });

  it('wants a name as OpenAI does: 1 to 64 letters, digits, _ or -', () => {
    const expected =
      'response_format.json_schema.name: is required: 1 to 64 letters, digits, underscores or dashes';
    expect(messageOf(format({ schema }))).toBe(expected);
    expect(messageOf(format({ name: 'bad name!', schema }))).toBe(expected);
    expect(messageOf(format({ name: 'x'.repeat(65), schema }))).toBe(expected);
    expect(parse(format({ name: 'count_items-2', schema })).job.contract).toBeDefined();
  });
});

describe('the task type of a request', () => {
  const chat = (taskType: string) =>
    parseChatRequest(base, { config, contracts, taskType }).job.taskType;
  const route = (taskType: string) =>
    parseRouteRequest(
      { task_type: taskType, prompt: 'hi', contract: 'classification' },
      { config, contracts },
    ).job.taskType;
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (error instanceof GatewayError && error.status === 400) return error.message;
      throw error;
    }
    throw new Error('expected a 400');
  };

  it('takes a label of up to 64 characters, from the header or the body', () => {
    expect(chat('a'.repeat(64))).toBe('a'.repeat(64));
    expect(route('summary_v2')).toBe('summary_v2');
  });

  it('refuses one that hides what it says, naming the field', () => {
    for (const hidden of ['admin\u202egnp', 'cheap\u200b', 'a\u2028b', '\ufeffx', 'x\u00ad']) {
      expect(
        refusal(() => chat(hidden)),
        JSON.stringify(hidden),
      ).toBe('x-task-type: must not contain control or invisible formatting characters');
    }
    expect(refusal(() => chat(''))).toBe('x-task-type: must not be empty');
    expect(chat('résumé_ünïcode')).toBe('résumé_ünïcode');
  });

  it('refuses a longer one, or one with control characters, naming the field', () => {
    expect(refusal(() => chat('a'.repeat(65)))).toBe('x-task-type: is longer than 64 characters');
    expect(refusal(() => route('t'.repeat(500_000)))).toBe(
      'task_type: is longer than 64 characters',
    );
    expect(refusal(() => route('line\nbreak'))).toBe(
      'task_type: must not contain control or invisible formatting characters',
    );
  });
});
