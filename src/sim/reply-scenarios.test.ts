import Anthropic from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './index.js';
import type { RunningSimulator } from './types.js';

let sim: RunningSimulator;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5 });
  openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'test', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: sim.url, apiKey: 'test', maxRetries: 0 });
});
afterAll(() => sim.close());

const messages = [{ role: 'user' as const, content: 'Report your usage.' }];
const scenario = (name: string) => ({ headers: { 'x-sim-scenario': name } });

async function chunksOf(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function eventsOf(stream: AsyncIterable<RawMessageStreamEvent>) {
  const events: RawMessageStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('no_usage', () => {
  it('leaves the usage chunk out of an OpenAI stream even with include_usage', async () => {
    const body = { model: 'gpt-4o', messages, stream: true as const };
    const options = { stream_options: { include_usage: true } };
    const plain = await chunksOf(await openai.chat.completions.create({ ...body, ...options }));
    const bare = await chunksOf(
      await openai.chat.completions.create({ ...body, ...options }, scenario('no_usage')),
    );
    expect(plain.at(-1)?.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(bare.every((chunk) => !chunk.usage)).toBe(true);
    expect(bare.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('leaves usage out of an unstreamed OpenAI completion', async () => {
    const completion = await openai.chat.completions.create(
      { model: 'gpt-4o', messages },
      scenario('no_usage'),
    );
    expect(completion.usage).toBeUndefined();
    expect(completion.choices[0]?.message.content).toMatch(/^Simulated reply/);
  });

  it('leaves usage out of every Anthropic event and message', async () => {
    const base = { model: 'claude-sonnet-4-5', max_tokens: 256, messages };
    const events = await eventsOf(
      await anthropic.messages.create({ ...base, stream: true }, scenario('no_usage')),
    );
    const start = events.find((event) => event.type === 'message_start');
    const delta = events.find((event) => event.type === 'message_delta');
    expect(start && 'usage' in start.message).toBe(false);
    expect(delta && 'usage' in delta).toBe(false);
    expect(delta?.type === 'message_delta' && delta.delta.stop_reason).toBe('end_turn');

    const whole = await anthropic.messages.create(base, scenario('no_usage'));
    expect('usage' in whole).toBe(false);
  });
});

describe('long_reply:N', () => {
  it('says the prose reply N times over, in both APIs', async () => {
    const once = await openai.chat.completions.create({ model: 'gpt-4o', messages });
    const sentence = once.choices[0]?.message.content ?? '';
    const thrice = await openai.chat.completions.create(
      { model: 'gpt-4o', messages, max_tokens: 1000 },
      scenario('long_reply:3'),
    );
    expect(thrice.choices[0]?.message.content).toBe([sentence, sentence, sentence].join(' '));
    expect(thrice.choices[0]?.finish_reason).toBe('stop');

    // The prompt seeds the sentence, and each API renders the prompt its own way.
    const textOf = (message: Anthropic.Message) =>
      message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    const request = { model: 'claude-sonnet-4-5', max_tokens: 1000, messages };
    const single = textOf(await anthropic.messages.create(request));
    const twice = textOf(await anthropic.messages.create(request, scenario('long_reply:2')));
    expect(single).toMatch(/^Simulated reply/);
    expect(twice).toBe([single, single].join(' '));
  });

  it('is still cut off by the request’s token cap', async () => {
    const capped = await openai.chat.completions.create(
      { model: 'gpt-4o', messages, max_tokens: 30 },
      scenario('long_reply:20'),
    );
    expect(capped.choices[0]?.finish_reason).toBe('length');
    expect(capped.usage?.completion_tokens).toBeLessThanOrEqual(30);
  });

  it('needs its count', async () => {
    const request = openai.chat.completions.create(
      { model: 'gpt-4o', messages },
      scenario('long_reply'),
    );
    await expect(request).rejects.toMatchObject({ status: 400 });
  });
});
