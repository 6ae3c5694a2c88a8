import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import type { StreamEvent, StreamResult, StreamStart } from '../streaming/stream-events.js';
import { HttpPools } from './http-pool.js';
import { OpenAiClient, type OpenAiClientOptions } from './openai-client.js';
import { OpenAiChunkTranslator, streamOpenAi } from './openai-stream.js';
import type { CompletionRequest } from './types.js';

const MODEL = 'gpt-4o-mini-2024-07-18';
const REPLY =
  'Simulated reply e2a47240: the provider simulator received your request ' +
  'and answered it with this deterministic text.';

/** Answers with 10 ms between frames, so a reader sees each frame before the next. */
const PACED_MODEL = 'gpt-4o-paced';
/** Answers with 25 ms between frames (and after 250 ms), slow enough to stop in the middle. */
const SLOW_MODEL = 'gpt-4o-slow';

let sim: RunningSimulator;
let pools: HttpPools;
let clientOptions: OpenAiClientOptions;

/** Client options on a pool of their own, so socket counts start from zero. */
function clientOn(pool: HttpPools): OpenAiClientOptions {
  const dispatcher = pool.get(sim.url, {
    connections: 4,
    keepAliveTimeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 10_000,
    bodyTimeoutMs: 10_000,
  });
  return {
    baseUrl: `${sim.url}/v1`,
    apiKey: 'sk-test',
    dispatcher,
    jsonSchema: true,
    isReasoningModel: () => false,
    now: Date.now,
  };
}

beforeAll(async () => {
  sim = await startSimulator({
    logger: silentLogger(),
    models: { [PACED_MODEL]: { latencyMs: 100 }, [SLOW_MODEL]: { latencyMs: 250 } },
  });
  pools = new HttpPools();
  clientOptions = clientOn(pools);
});

afterAll(async () => {
  await pools.close();
  await sim.close();
});

/**
 * A contract whose answer (100 strings) SLOW_MODEL streams as some 160
 * frames 25 ms apart: seconds longer than any poll below, so a freed
 * socket cannot be mistaken for a stream that simply ended.
 */
const LONG_ANSWER = {
  name: 'long',
  strict: false,
  schema: {
    type: 'object',
    properties: { items: { type: 'array', minItems: 100, items: { type: 'string' } } },
    required: ['items'],
  },
};

function request(
  options: { scenario?: string; signal?: AbortSignal; model?: string; long?: boolean } = {},
) {
  const value: CompletionRequest = {
    model: options.model ?? MODEL,
    messages: [{ role: 'user', content: 'hi there' }],
    maxTokens: options.long ? 4000 : 100,
    ...(options.long ? { structuredOutput: LONG_ANSWER } : {}),
    timeouts: { connectMs: 2_000, firstByteMs: 10_000, totalMs: 20_000 },
    signal: options.signal ?? new AbortController().signal,
    ...(options.scenario ? { headers: { 'x-sim-scenario': options.scenario } } : {}),
  };
  return value;
}

function started(result: StreamResult): StreamStart {
  if (result.kind !== 'stream') throw new Error(`expected a stream, got ${result.message}`);
  return result;
}

async function eventsOf(
  options: { scenario?: string; model?: string; client?: OpenAiClientOptions } = {},
): Promise<StreamEvent[]> {
  const client = options.client ?? clientOptions;
  const start = started(await streamOpenAi({ ...client, request: request(options) }));
  const events: StreamEvent[] = [];
  for await (const event of start.events) events.push(event);
  return events;
}

const textOf = (events: StreamEvent[]) =>
  events.map((event) => (event.type === 'text' ? event.text : '')).join('');
const typesOf = (events: StreamEvent[]) => [...new Set(events.map((event) => event.type))];

/**
 * Polls a pool until `done` holds, at most 200 times 10 ms apart: the socket
 * goes back to the pool (or closes) just after the stream's last event.
 */
async function poolSettles(options: {
  pool: HttpPools;
  done: (stats: { connected: number; running: number; free: number }) => boolean;
}) {
  for (let round = 0; round < 200; round += 1) {
    const stats = options.pool.stats()[0];
    if (stats && options.done(stats)) return stats;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return options.pool.stats()[0];
}

describe('streamOpenAi against the simulator', () => {
  it('streams the reply text, then the finish reason, then the usage', async () => {
    const events = await eventsOf();
    expect(textOf(events)).toBe(REPLY);
    expect(events.slice(-2).map((event) => event.type)).toEqual(['finish', 'usage']);
    expect(events.at(-2)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('reports the same usage as the unstreamed request, from the final usage chunk', async () => {
    const events = await eventsOf();
    const unstreamed = await new OpenAiClient(clientOptions).complete(request());
    expect(unstreamed.kind).toBe('completion');
    const usage = events.filter((event) => event.type === 'usage');
    expect(usage).toHaveLength(1);
    expect(usage[0]).toEqual({
      type: 'usage',
      usage: unstreamed.kind === 'completion' ? unstreamed.usage : null,
    });
    expect(usage[0]).toEqual({
      type: 'usage',
      usage: {
        inputTokens: 9,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 23,
        reasoningTokens: 0,
      },
    });
  });

  it('skips a first chunk with no choices (empty_choices_first)', async () => {
    const events = await eventsOf({ scenario: 'empty_choices_first' });
    expect(textOf(events)).toBe(REPLY);
    expect(events.at(-2)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('delivers a character split across two reads intact (split_utf8)', async () => {
    const events = await eventsOf({ scenario: 'split_utf8' });
    expect(textOf(events)).toBe(`${REPLY} café ✓ 日本.`);
  });

  it('ends with an error event and no text when the stream fails before content', async () => {
    const events = await eventsOf({ scenario: 'stream_error_before_content' });
    expect(events).toEqual([
      {
        type: 'error',
        message: 'The server had an error while processing your request. Sorry about that!',
        errorType: 'server_error',
        retryable: true,
        upstreamType: 'server_error',
      },
    ]);
  });

  it('ends with an error event after the text already sent (stream_error_after_content)', async () => {
    const events = await eventsOf({ scenario: 'stream_error_after_content' });
    expect(textOf(events)).toBe('Simulated reply e2a47240: the provider simulator ');
    expect(typesOf(events)).toEqual(['text', 'error']);
    expect(events.at(-1)).toMatchObject({ type: 'error', errorType: 'server_error' });
  });

  it('turns a dropped connection into an error event, never a finish (stream_drop)', async () => {
    const events = await eventsOf({ scenario: 'stream_drop', model: PACED_MODEL });
    expect(typesOf(events)).toEqual(['text', 'error']);
    expect(events.at(-1)).toEqual({
      type: 'error',
      message: 'connection failed: UND_ERR_SOCKET other side closed',
      errorType: 'connection',
      retryable: true,
    });
  });

  it('streams a refusal apart from the content, with the finish reason refusal', async () => {
    const events = await eventsOf({ scenario: 'refusal' });
    const refusal = events.map((event) => (event.type === 'refusal' ? event.text : '')).join('');
    expect(refusal).toBe("I'm sorry, but I can't help with that request.");
    expect(textOf(events)).toBe('');
    expect(events.at(-2)).toEqual({ type: 'finish', finishReason: 'refusal' });
  });

  it('returns the non-streaming failure for an error status before the stream', async () => {
    const result = await streamOpenAi({
      ...clientOptions,
      request: request({ scenario: 'rate_limit:3' }),
    });
    expect(result).toMatchObject({
      kind: 'failure',
      reason: 'rate_limited',
      retryable: true,
      status: 429,
    });
    expect(result.headers['retry-after']).toBe('3');
  });

  it('returns a connection failure when the upstream resets before answering', async () => {
    const result = await streamOpenAi({
      ...clientOptions,
      request: request({ scenario: 'reset' }),
    });
    expect(result).toMatchObject({ kind: 'failure', reason: 'connection', retryable: true });
  });

  it('sends stream: true and include_usage even when the sampling says otherwise', async () => {
    const sampling = { stream: false, stream_options: { include_usage: false } };
    const start = started(
      await streamOpenAi({ ...clientOptions, request: { ...request(), sampling } }),
    );
    const events: StreamEvent[] = [];
    for await (const event of start.events) events.push(event);
    // The simulator sends a usage chunk only when include_usage was true.
    expect(events.at(-1)?.type).toBe('usage');
  });
});

describe('streamOpenAi and the socket', () => {
  let pool: HttpPools;
  let client: OpenAiClientOptions;
  beforeEach(() => {
    pool = new HttpPools();
    client = clientOn(pool);
  });
  afterEach(() => pool.close());

  it('returns the socket to the pool after a complete stream, and reuses it', async () => {
    await eventsOf({ client });
    expect(await poolSettles({ pool, done: (s) => s.free === 1 })).toMatchObject({
      connected: 1,
      free: 1,
      running: 0,
    });
    await eventsOf({ client });
    expect(await poolSettles({ pool, done: (s) => s.free === 1 })).toMatchObject({
      connected: 1,
      free: 1,
      running: 0,
    });
  });

  it('frees the socket when the request is aborted mid-stream', async () => {
    const controller = new AbortController();
    const signal = controller.signal;
    const result = await streamOpenAi({
      ...client,
      request: request({ model: SLOW_MODEL, signal }),
    });
    const events: StreamEvent[] = [];
    for await (const event of started(result).events) {
      events.push(event);
      if (events.length === 1) controller.abort();
    }
    expect(typesOf(events)).toEqual(['text', 'error']);
    expect(events.at(-1)).toMatchObject({ type: 'error', errorType: 'aborted', retryable: false });
    // undici may open a fresh idle socket in its place; none may stay busy.
    const stats = await poolSettles({ pool, done: (s) => s.running === 0 });
    expect(stats?.running).toBe(0);
    expect(stats?.free).toBe(stats?.connected);
  });

  it('frees the socket when the consumer stops reading mid-stream', async () => {
    const result = await streamOpenAi({
      ...client,
      request: request({ model: SLOW_MODEL, long: true }),
    });
    const seen: string[] = [];
    for await (const event of started(result).events) {
      seen.push(event.type);
      break;
    }
    expect(seen).toEqual(['text']);
    // undici may open a fresh idle socket in its place; none may stay busy.
    const stats = await poolSettles({ pool, done: (s) => s.running === 0 });
    expect(stats?.running).toBe(0);
    expect(stats?.free).toBe(stats?.connected);
  });
});

describe('OpenAiChunkTranslator', () => {
  const chunk = (value: unknown) => ({ data: JSON.stringify(value) });

  it('passes on usage from every chunk; the stream keeps only the last', () => {
    const translator = new OpenAiChunkTranslator();
    const running = { prompt_tokens: 5, completion_tokens: 2 };
    const events = translator.translate(
      chunk({ choices: [{ index: 0, delta: { content: 'a' } }], usage: running }),
    ).events;
    expect(events).toEqual([
      { type: 'text', text: 'a' },
      {
        type: 'usage',
        usage: {
          inputTokens: 5,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: 2,
          reasoningTokens: 0,
        },
      },
    ]);
  });

  it('reads a vLLM-style error object as an error event', () => {
    const translator = new OpenAiChunkTranslator();
    const { events } = translator.translate(chunk({ object: 'error', message: 'engine dead' }));
    expect(events).toEqual([
      { type: 'error', message: 'engine dead', errorType: 'server_error', retryable: true },
    ]);
  });

  it('redacts our key and organisation from an error frame, as from an error body', () => {
    const translator = new OpenAiChunkTranslator();
    const { events } = translator.translate(
      chunk({ error: { message: 'boom sk-provider-SECRET-abcdef123456 org-abcdef1234' } }),
    );
    expect(events).toEqual([
      {
        type: 'error',
        message: 'boom [redacted key] [redacted org]',
        errorType: 'server_error',
        retryable: true,
      },
    ]);
  });

  it.each([
    ['choices that are not an array', { choices: 'x' }, 'choices are not an array'],
    ['a null choice', { choices: [null] }, 'choice that is not an object'],
    ['numeric content', { choices: [{ delta: { content: 42 } }] }, 'delta.content as number'],
    ['object content', { choices: [{ delta: { content: { a: 1 } } }] }, 'delta.content as object'],
    ['a numeric refusal', { choices: [{ delta: { refusal: 5 } }] }, 'delta.refusal as number'],
  ])('reads a chunk with %s as a bad_response, not as text', (_name, value, says) => {
    const { events } = new OpenAiChunkTranslator().translate(chunk(value));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', errorType: 'bad_response', retryable: true });
    expect((events[0] as { message: string }).message).toContain(says);
  });

  it('reports an unknown finish when [DONE] comes without a finish reason', () => {
    const translator = new OpenAiChunkTranslator();
    expect(translator.translate({ data: '[DONE]' })).toEqual({
      events: [{ type: 'finish', finishReason: 'unknown' }],
      done: true,
    });
  });

  it('turns a chunk that is not JSON into a bad_response error', () => {
    const translator = new OpenAiChunkTranslator();
    expect(translator.translate({ data: '{"choices": [' }).events).toEqual([
      {
        type: 'error',
        message: 'upstream sent a stream chunk that is not JSON',
        errorType: 'bad_response',
        retryable: true,
      },
    ]);
  });
});
