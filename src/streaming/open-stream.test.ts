import { describe, expect, it } from 'vitest';
import type {
  AttemptResult,
  CompletionRequest,
  ProviderClient,
  Usage,
} from '../providers/types.js';
import { canStream, openStream } from './open-stream.js';
import type { StreamEvent, StreamResult } from './stream-events.js';

const usage: Usage = {
  inputTokens: 12,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 5,
  reasoningTokens: 0,
};

const request: CompletionRequest = {
  model: 'local-model',
  messages: [{ role: 'user', content: 'hi' }],
  maxTokens: 50,
  timeouts: { connectMs: 1000, firstByteMs: 1000, totalMs: 1000 },
  signal: new AbortController().signal,
};

/** A provider that only completes, as an in-process model does. */
function completingOnly(result: AttemptResult): ProviderClient {
  return { kind: 'openai', complete: async () => result };
}

async function eventsOf(result: StreamResult): Promise<StreamEvent[]> {
  if (result.kind !== 'stream') throw new Error(`expected a stream, got ${result.message}`);
  const events: StreamEvent[] = [];
  for await (const event of result.events) events.push(event);
  return events;
}

describe('openStream with a client that cannot stream', () => {
  it('turns the whole completion into text, finish and usage events', async () => {
    const client = completingOnly({
      kind: 'completion',
      text: 'all at once',
      finishReason: 'length',
      usage,
      headers: { 'x-upstream': '1' },
      latencyMs: 7,
    });
    expect(canStream(client)).toBe(false);
    const result = await openStream({ client, request });
    expect(result).toMatchObject({ kind: 'stream', headers: { 'x-upstream': '1' }, latencyMs: 7 });
    expect(await eventsOf(result)).toEqual([
      { type: 'text', text: 'all at once' },
      { type: 'finish', finishReason: 'length' },
      { type: 'usage', usage },
    ]);
  });

  it('sends a refusal as a refusal, and no usage when there was none', async () => {
    const client = completingOnly({
      kind: 'completion',
      text: '',
      refusal: 'no',
      finishReason: 'refusal',
      usage: null,
      headers: {},
      latencyMs: 1,
    });
    expect(await eventsOf(await openStream({ client, request }))).toEqual([
      { type: 'refusal', text: 'no' },
      { type: 'finish', finishReason: 'refusal' },
    ]);
  });

  it('passes a failure on as it came', async () => {
    const failure: AttemptResult = {
      kind: 'failure',
      reason: 'server_error',
      retryable: true,
      message: 'boom',
      status: 500,
      headers: {},
      latencyMs: 3,
    };
    expect(await openStream({ client: completingOnly(failure), request })).toBe(failure);
  });
});

describe('openStream with a client that streams', () => {
  it('asks for the stream, never the whole completion', async () => {
    const calls: string[] = [];
    async function* events(): AsyncGenerator<StreamEvent> {
      yield { type: 'finish', finishReason: 'stop' };
    }
    const client = {
      kind: 'openai' as const,
      complete: async (): Promise<AttemptResult> => {
        calls.push('complete');
        throw new Error('not expected');
      },
      stream: async (): Promise<StreamResult> => {
        calls.push('stream');
        return { kind: 'stream', headers: {}, latencyMs: 0, events: events() };
      },
    };
    expect(canStream(client)).toBe(true);
    expect(await eventsOf(await openStream({ client, request }))).toEqual([
      { type: 'finish', finishReason: 'stop' },
    ]);
    expect(calls).toEqual(['stream']);
  });
});
