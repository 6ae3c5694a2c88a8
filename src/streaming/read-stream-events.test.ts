import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpPools } from '../providers/http-pool.js';
import { OpenAiChunkTranslator } from '../providers/openai-stream.js';
import { postStream } from './post-stream.js';
import { readStreamEvents } from './read-stream-events.js';
import type { StreamEvent } from './stream-events.js';

/** What the test server does with one request. */
type Script = (response: ServerResponse) => void | Promise<void>;

let server: Server;
let url: string;
let script: Script;
let connections: number;
let pools: HttpPools;

beforeEach(async () => {
  connections = 0;
  server = createServer((_request, response) => {
    void script(response);
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pools = new HttpPools();
});

afterEach(async () => {
  await pools.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const chunk = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const text = (content: string) => chunk({ choices: [{ index: 0, delta: { content } }] });
const finish = chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
const usage = (completion: number) =>
  chunk({ choices: [], usage: { prompt_tokens: 4, completion_tokens: completion } });
const usageEvent = (outputTokens: number): StreamEvent => ({
  type: 'usage',
  usage: {
    inputTokens: 4,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens,
    reasoningTokens: 0,
  },
});

function sse(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
}

async function open(options: { totalMs?: number } = {}) {
  const dispatcher = pools.get(url, {
    connections: 2,
    keepAliveTimeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
  });
  return postStream({
    dispatcher,
    url: `${url}/chat/completions`,
    headers: {},
    body: {},
    timeouts: { connectMs: 2_000, firstByteMs: 5_000, totalMs: options.totalMs ?? 10_000 },
    signal: new AbortController().signal,
    now: Date.now,
  });
}

async function eventsOf(options: { totalMs?: number } = {}): Promise<StreamEvent[]> {
  const opened = await open(options);
  if ('kind' in opened) throw new Error(`expected a stream, got ${opened.message}`);
  const events: StreamEvent[] = [];
  const translator = new OpenAiChunkTranslator();
  for await (const event of readStreamEvents({ opened, translator })) events.push(event);
  return events;
}

/** Polls until `done` holds, at most 200 times 10 ms apart. */
async function until(done: () => boolean): Promise<void> {
  for (let round = 0; round < 200 && !done(); round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('readStreamEvents', () => {
  it('releases only the last usage, once, after the finish', async () => {
    script = (response) => {
      sse(response);
      response.end(
        text('a') + usage(1) + text('b') + usage(2) + finish + usage(3) + 'data: [DONE]\n\n',
      );
    };
    expect(await eventsOf()).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
      { type: 'finish', finishReason: 'stop' },
      usageEvent(3),
    ]);
  });

  it('puts the usage seen so far just before an error, which comes last', async () => {
    script = (response) => {
      sse(response);
      response.end(
        text('a') + usage(1) + chunk({ error: { message: 'boom', type: 'server_error' } }),
      );
    };
    expect(await eventsOf()).toEqual([
      { type: 'text', text: 'a' },
      usageEvent(1),
      {
        type: 'error',
        message: 'boom',
        errorType: 'server_error',
        retryable: true,
        upstreamType: 'server_error',
      },
    ]);
  });

  it('calls a stream that ends cleanly before its finish an error', async () => {
    script = (response) => {
      sse(response);
      response.end(text('a'));
    };
    expect(await eventsOf()).toEqual([
      { type: 'text', text: 'a' },
      {
        type: 'error',
        message: 'upstream stream ended before its end marker',
        errorType: 'connection',
        retryable: true,
      },
    ]);
  });

  it('accepts a stream that ends without [DONE] once its finish reason came', async () => {
    script = (response) => {
      sse(response);
      response.end(text('a') + finish + usage(1));
    };
    expect(await eventsOf()).toEqual([
      { type: 'text', text: 'a' },
      { type: 'finish', finishReason: 'stop' },
      usageEvent(1),
    ]);
  });

  it('drops an error and any text that follow the finish', async () => {
    script = (response) => {
      sse(response);
      response.end(finish + text('late') + chunk({ error: { message: 'late' } }));
    };
    expect(await eventsOf()).toEqual([{ type: 'finish', finishReason: 'stop' }]);
  });

  it('turns the total timeout, passed mid-stream, into a timeout error', async () => {
    script = (response) => {
      sse(response);
      response.write(text('a')); // and never more
    };
    const events = await eventsOf({ totalMs: 200 });
    expect(events).toEqual([
      { type: 'text', text: 'a' },
      {
        type: 'error',
        message: 'upstream timed out',
        errorType: 'timeout',
        retryable: true,
      },
    ]);
  });

  it('reads the bytes after [DONE] in the background, so the socket is reused', async () => {
    let endResponse = () => {};
    script = (response) => {
      sse(response);
      response.write(text('a') + finish + 'data: [DONE]\n\n');
      // The end of the chunked body comes later than [DONE].
      endResponse = () => response.end();
    };
    expect(await eventsOf()).toEqual([
      { type: 'text', text: 'a' },
      { type: 'finish', finishReason: 'stop' },
    ]);
    expect(pools.stats()[0]).toMatchObject({ connected: 1, running: 1 });
    endResponse();
    await until(() => pools.stats()[0]?.free === 1);
    expect(pools.stats()[0]).toMatchObject({ connected: 1, free: 1, running: 0 });

    script = (response) => {
      sse(response);
      response.end(finish + 'data: [DONE]\n\n');
    };
    await eventsOf();
    expect(connections).toBe(1);
  });
});

describe('postStream', () => {
  it('fails with bad_response when a 2xx answer is JSON, not an event stream', async () => {
    script = (response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"choices":[]}');
    };
    expect(await open()).toMatchObject({
      kind: 'failure',
      reason: 'bad_response',
      retryable: true,
      status: 200,
      message: 'upstream answered 200 with application/json, not an event stream',
    });
  });

  it('classifies an error status as the non-streaming client does', async () => {
    script = (response) => {
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' });
      response.end('{"error":{"message":"busy","type":"server_error"}}');
    };
    expect(await open()).toMatchObject({
      kind: 'failure',
      reason: 'server_error',
      retryable: true,
      status: 503,
      message: 'busy',
    });
  });

  it('times out with a timeout failure when the headers never come', async () => {
    script = () => {}; // never answers
    expect(await open({ totalMs: 100 })).toMatchObject({
      kind: 'failure',
      reason: 'timeout',
      retryable: true,
    });
  });
});
