import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnthropicClient } from './anthropic-client.js';
import { OpenAiClient } from './openai-client.js';
import type { AttemptResult, CompletionRequest } from './types.js';

/**
 * A provider that answers 200 with whatever body the test puts in `reply`:
 * JSON of the wrong shape must come back as a retryable `bad_response`
 * (so the engine tries elsewhere), never as a crash or an empty success.
 */
let reply = '{}';
let server: Server;
let url: string;
const dispatcher = new Agent();

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(reply);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await dispatcher.close();
  server.close();
});

const request = (): CompletionRequest => ({
  model: 'some-model',
  messages: [{ role: 'user', content: 'hi' }],
  maxTokens: 16,
  timeouts: { connectMs: 2_000, firstByteMs: 5_000, totalMs: 5_000 },
  signal: new AbortController().signal,
});

async function openAi(body: unknown): Promise<AttemptResult> {
  reply = JSON.stringify(body);
  const client = new OpenAiClient({
    baseUrl: `${url}/v1`,
    apiKey: 'sk-test',
    dispatcher,
    jsonSchema: true,
    isReasoningModel: () => false,
    now: Date.now,
  });
  return client.complete(request());
}

async function anthropic(body: unknown): Promise<AttemptResult> {
  reply = JSON.stringify(body);
  const client = new AnthropicClient({
    baseUrl: url,
    apiKey: 'sk-test',
    dispatcher,
    now: Date.now,
  });
  return client.complete(request());
}

describe('an OpenAI-style 200 of the wrong shape', () => {
  it.each([
    ['null', null, 'empty choices'],
    ['choices as an object', { choices: { 0: { message: { content: 'x' } } } }, 'not an array'],
    ['a choice without a message', { choices: [{ finish_reason: 'stop' }] }, 'without a message'],
    ['numeric content', { choices: [{ message: { content: 12345 } }] }, 'as number'],
    ['content parts', { choices: [{ message: { content: [{ type: 'text' }] } }] }, 'as object'],
    ['a numeric refusal', { choices: [{ message: { content: null, refusal: 7 } }] }, 'refusal'],
  ])('%s is a retryable bad_response', async (_name, body, says) => {
    const result = await openAi(body);
    expect(result).toMatchObject({ kind: 'failure', reason: 'bad_response', retryable: true });
    expect((result as { message: string }).message).toContain(says);
  });

  it('still reads a well-formed answer, with usage of the wrong type dropped', async () => {
    const result = await openAi({
      id: 'chatcmpl-1',
      choices: [{ message: { content: 'hello' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: -5, completion_tokens: 'x' },
    });
    expect(result).toMatchObject({
      kind: 'completion',
      text: 'hello',
      finishReason: 'stop',
      usage: null,
      upstreamId: 'chatcmpl-1',
    });
  });
});

describe('an Anthropic-style 200 of the wrong shape', () => {
  it.each([
    ['null', null],
    ['content as a string', { content: 'hello', stop_reason: 'end_turn' }],
    ['a null block', { content: [null], stop_reason: 'end_turn' }],
    ['numeric text', { content: [{ type: 'text', text: 42 }], stop_reason: 'end_turn' }],
  ])('%s is a retryable bad_response', async (_name, body) => {
    expect(await anthropic(body)).toMatchObject({
      kind: 'failure',
      reason: 'bad_response',
      retryable: true,
    });
  });

  it('still reads a well-formed answer', async () => {
    const result = await anthropic({
      id: 'msg_1',
      content: [{ type: 'text', text: 'hello' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 3, output_tokens: 1 },
    });
    expect(result).toMatchObject({ kind: 'completion', text: 'hello', finishReason: 'stop' });
  });
});
