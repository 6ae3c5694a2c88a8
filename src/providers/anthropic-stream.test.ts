import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import { collectCompletion } from '../streaming/collect-stream.js';
import type { StreamEvent, StreamResult, StreamStart } from '../streaming/stream-events.js';
import { AnthropicClient, type AnthropicClientOptions } from './anthropic-client.js';
import { AnthropicEventTranslator, streamAnthropic } from './anthropic-stream.js';
import { HttpPools } from './http-pool.js';
import type { CompletionRequest, StructuredOutput } from './types.js';

const MODEL = 'claude-haiku-4-5-20251001';
/** Answers with 25 ms between frames (and after 250 ms), slow enough to stop in the middle. */
const SLOW_MODEL = 'claude-slow';
/** Answers with 10 ms between frames, so a reader sees each frame before the next. */
const PACED_MODEL = 'claude-paced';
const REPLY =
  'Simulated reply de111508: the provider simulator received your request ' +
  'and answered it with this deterministic text.';

let sim: RunningSimulator;
let pools: HttpPools;
let clientOptions: AnthropicClientOptions;

function clientOn(pool: HttpPools): AnthropicClientOptions {
  const dispatcher = pool.get(sim.url, {
    connections: 4,
    keepAliveTimeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 10_000,
    bodyTimeoutMs: 10_000,
  });
  return { baseUrl: sim.url, apiKey: 'sk-ant-test', dispatcher, now: Date.now };
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

/** 100 strings: some 160 frames, seconds of streaming at SLOW_MODEL's pace. */
const LONG_ANSWER: StructuredOutput = {
  name: 'long',
  strict: false,
  schema: {
    type: 'object',
    properties: { items: { type: 'array', minItems: 100, items: { type: 'string' } } },
    required: ['items'],
  },
};

const TICKET: StructuredOutput = {
  name: 'ticket',
  strict: true,
  schema: {
    type: 'object',
    properties: { priority: { type: 'string', enum: ['low', 'high'] } },
    required: ['priority'],
    additionalProperties: false,
  },
};

function request(
  options: {
    scenario?: string;
    signal?: AbortSignal;
    model?: string;
    structuredOutput?: StructuredOutput;
  } = {},
): CompletionRequest {
  const long = options.structuredOutput === LONG_ANSWER;
  return {
    model: options.model ?? MODEL,
    messages: [{ role: 'user', content: 'hi there' }],
    maxTokens: long ? 4000 : 100,
    ...(options.structuredOutput ? { structuredOutput: options.structuredOutput } : {}),
    timeouts: { connectMs: 2_000, firstByteMs: 10_000, totalMs: 20_000 },
    signal: options.signal ?? new AbortController().signal,
    ...(options.scenario ? { headers: { 'x-sim-scenario': options.scenario } } : {}),
  };
}

function started(result: StreamResult): StreamStart {
  if (result.kind !== 'stream') throw new Error(`expected a stream, got ${result.message}`);
  return result;
}

async function eventsOf(options: Parameters<typeof request>[0] = {}): Promise<StreamEvent[]> {
  const start = started(await streamAnthropic({ ...clientOptions, request: request(options) }));
  const events: StreamEvent[] = [];
  for await (const event of start.events) events.push(event);
  return events;
}

const textOf = (events: StreamEvent[]) =>
  events.map((event) => (event.type === 'text' ? event.text : '')).join('');
const typesOf = (events: StreamEvent[]) => [...new Set(events.map((event) => event.type))];

describe('streamAnthropic against the simulator', () => {
  it('streams the reply text, then the finish reason, then the usage', async () => {
    const events = await eventsOf();
    expect(textOf(events)).toBe(REPLY);
    expect(events.slice(-2).map((event) => event.type)).toEqual(['finish', 'usage']);
    expect(events.at(-2)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it("combines message_start's input tokens with message_delta's output tokens", async () => {
    const events = await eventsOf();
    const unstreamed = await new AnthropicClient(clientOptions).complete(request());
    const usage = events.filter((event) => event.type === 'usage');
    expect(usage).toEqual([
      {
        type: 'usage',
        usage: {
          inputTokens: 9,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: 21,
          reasoningTokens: 0,
        },
      },
    ]);
    expect(unstreamed.kind === 'completion' && unstreamed.usage).toEqual(usage[0]?.usage);
  });

  it('streams the same text when an empty-choices scenario is asked of it', async () => {
    // empty_choices_first is an OpenAI shape; on Anthropic the stream is unchanged.
    expect(textOf(await eventsOf({ scenario: 'empty_choices_first' }))).toBe(REPLY);
  });

  it('delivers a character split across two reads intact (split_utf8)', async () => {
    const events = await eventsOf({ scenario: 'split_utf8' });
    expect(textOf(events)).toBe(`${REPLY} café ✓ 日本.`);
  });

  it('turns event: error before content into a retryable overloaded error', async () => {
    const events = await eventsOf({ scenario: 'stream_error_before_content' });
    expect(typesOf(events)).toEqual(['usage', 'error']);
    expect(events.at(-1)).toEqual({
      type: 'error',
      message: 'Overloaded',
      errorType: 'overloaded',
      retryable: true,
      upstreamType: 'overloaded_error',
    });
  });

  it('ends with an error event after the text already sent (stream_error_after_content)', async () => {
    const events = await eventsOf({ scenario: 'stream_error_after_content' });
    expect(textOf(events)).toBe('Simulated reply de111508: the provider simulator ');
    expect(typesOf(events)).toEqual(['text', 'usage', 'error']);
    expect(events.at(-1)).toMatchObject({ type: 'error', errorType: 'overloaded' });
  });

  it('turns a dropped connection into an error event, never a finish (stream_drop)', async () => {
    const events = await eventsOf({ scenario: 'stream_drop', model: PACED_MODEL });
    expect(typesOf(events)).toEqual(['text', 'usage', 'error']);
    expect(events.at(-1)).toEqual({
      type: 'error',
      message: 'connection failed: UND_ERR_SOCKET other side closed',
      errorType: 'connection',
      retryable: true,
    });
  });

  it('reports a refusal as the finish reason refusal', async () => {
    const events = await eventsOf({ scenario: 'refusal' });
    expect(events.filter((event) => event.type !== 'usage')).toEqual([
      { type: 'finish', finishReason: 'refusal' },
    ]);
  });

  it('streams a forced tool call as the JSON text of its input, as complete() reports it', async () => {
    const streamed = await collectCompletion({
      start: started(
        await streamAnthropic({
          ...clientOptions,
          request: request({ structuredOutput: TICKET }),
        }),
      ),
      now: Date.now,
    });
    const unstreamed = await new AnthropicClient(clientOptions).complete(
      request({ structuredOutput: TICKET }),
    );
    expect(streamed).toMatchObject({ kind: 'completion', finishReason: 'stop' });
    expect(unstreamed.kind).toBe('completion');
    if (streamed.kind !== 'completion' || unstreamed.kind !== 'completion') return;
    expect(JSON.parse(streamed.text)).toEqual(JSON.parse(unstreamed.text));
    expect(streamed.usage).toEqual(unstreamed.usage);
  });

  it('unwraps a contract whose root is not an object, as complete() does', async () => {
    const list: StructuredOutput = {
      name: 'list',
      strict: false,
      schema: { type: 'array', items: { type: 'integer' }, minItems: 2 },
    };
    const start = started(
      await streamAnthropic({ ...clientOptions, request: request({ structuredOutput: list }) }),
    );
    const streamed = await collectCompletion({ start, now: Date.now });
    const unstreamed = await new AnthropicClient(clientOptions).complete(
      request({ structuredOutput: list }),
    );
    expect(streamed.kind === 'completion' && streamed.text).toBe(
      unstreamed.kind === 'completion' && unstreamed.text,
    );
    expect(streamed.kind === 'completion' && Array.isArray(JSON.parse(streamed.text))).toBe(true);
  });

  it('returns the non-streaming failure for an error status before the stream', async () => {
    const result = await streamAnthropic({
      ...clientOptions,
      request: request({ scenario: 'overloaded' }),
    });
    expect(result).toMatchObject({
      kind: 'failure',
      reason: 'overloaded',
      retryable: true,
      status: 529,
    });
  });
});

describe('streamAnthropic and the socket', () => {
  let pool: HttpPools;
  let client: AnthropicClientOptions;
  beforeEach(() => {
    pool = new HttpPools();
    client = clientOn(pool);
  });
  afterEach(() => pool.close());

  /** Polls the pool until no request holds a socket, at most 200 times 10 ms apart. */
  async function settled() {
    for (let round = 0; round < 200; round += 1) {
      const stats = pool.stats()[0];
      if (stats && stats.running === 0) return stats;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return pool.stats()[0];
  }

  it('frees the socket when the request is aborted mid-stream', async () => {
    const controller = new AbortController();
    const slow = request({
      model: SLOW_MODEL,
      signal: controller.signal,
      structuredOutput: LONG_ANSWER,
    });
    const start = started(await streamAnthropic({ ...client, request: slow }));
    const events: StreamEvent[] = [];
    for await (const event of start.events) {
      events.push(event);
      if (event.type === 'text') controller.abort();
    }
    expect(events.at(-1)).toMatchObject({ type: 'error', errorType: 'aborted', retryable: false });
    const stats = await settled();
    expect(stats?.running).toBe(0);
    // undici may open a fresh idle socket in its place; none may stay busy.
    expect(stats?.free).toBe(stats?.connected);
  });

  it('frees the socket when the consumer stops reading mid-stream', async () => {
    const slow = request({ model: SLOW_MODEL, structuredOutput: LONG_ANSWER });
    const start = started(await streamAnthropic({ ...client, request: slow }));
    for await (const event of start.events) {
      if (event.type === 'text') break;
    }
    const stats = await settled();
    expect(stats?.running).toBe(0);
    expect(stats?.free).toBe(stats?.connected);
  });
});

describe('AnthropicEventTranslator', () => {
  const message = (value: Record<string, unknown>) => ({
    event: String(value.type),
    data: JSON.stringify(value),
  });

  it('takes the last cumulative output count, and input counts message_delta restates', () => {
    const translator = new AnthropicEventTranslator({ structured: false, wrapped: false });
    translator.translate(
      message({
        type: 'message_start',
        message: { usage: { input_tokens: 50, cache_read_input_tokens: 10, output_tokens: 1 } },
      }),
    );
    translator.translate(
      message({ type: 'message_delta', delta: {}, usage: { output_tokens: 7 } }),
    );
    const last = translator.translate(
      message({
        type: 'message_delta',
        delta: { stop_reason: 'max_tokens' },
        usage: { output_tokens: 12, input_tokens: 50 },
      }),
    );
    expect(last.events).toEqual([
      { type: 'finish', finishReason: 'length' },
      {
        type: 'usage',
        usage: {
          inputTokens: 50,
          cachedInputTokens: 10,
          cacheWriteTokens: 0,
          outputTokens: 12,
          reasoningTokens: 0,
        },
      },
    ]);
  });

  it('ignores thinking deltas, pings and unknown event types', () => {
    const translator = new AnthropicEventTranslator({ structured: false, wrapped: false });
    const start = { type: 'content_block_start', index: 0, content_block: { type: 'thinking' } };
    expect(translator.translate(message(start)).events).toEqual([]);
    const thinking = {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'thinking_delta', thinking: 'hmm' },
    };
    expect(translator.translate(message(thinking)).events).toEqual([]);
    expect(translator.translate(message({ type: 'ping' })).events).toEqual([]);
    expect(translator.translate(message({ type: 'brand_new_event' })).events).toEqual([]);
  });

  it('reports an empty tool input as {} when no input_json_delta came', () => {
    const translator = new AnthropicEventTranslator({ structured: true, wrapped: false });
    const start = { type: 'content_block_start', index: 0, content_block: { type: 'tool_use' } };
    translator.translate(message(start));
    const stop = translator.translate(message({ type: 'content_block_stop', index: 0 }));
    expect(stop.events).toEqual([{ type: 'text', text: '{}' }]);
  });

  it('marks message_stop as the end of the stream', () => {
    const translator = new AnthropicEventTranslator({ structured: false, wrapped: false });
    expect(translator.translate(message({ type: 'message_stop' }))).toEqual({
      events: [],
      done: true,
    });
  });
});
