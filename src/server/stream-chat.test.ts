import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../app/start-gateway.js';
import { parseConfig } from '../config/load-config.js';
import { createLogger, silentLogger } from '../logging/logger.js';
import { REFUSAL_TEXT } from '../sim/compose-reply.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import { recordingClock, REPO_ROOT, type RecordingClock } from '../test-support/gateway-harness.js';

const MINI = 'gpt-4o-mini-2024-07-18';
const HAIKU = 'claude-3-5-haiku-20241022';
const SONNET = 'claude-sonnet-4-20250514';
const GPT4O = 'gpt-4o-2024-08-06';

const LOCAL = 'llama-3.1-8b-instruct';

interface YamlOptions {
  simUrl: string;
  /** A directory of the test's own for the audit log and the key store. */
  dir: string;
  /** A second simulator serving the fallback tier; it never sees the scenario header. */
  localUrl?: string | undefined;
  cache: boolean;
  extra: string;
}

/** cheap: OpenAI then Anthropic; mid: Anthropic; heavy: OpenAI; maybe a local fallback. */
function yaml(options: YamlOptions): string {
  const { simUrl, dir, localUrl, cache, extra } = options;
  const local = localUrl
    ? {
        provider: `\n  vllm: { kind: openai, base_url: ${localUrl}/v1, api_key: none, json_schema: false }`,
        tier: `\n  local: [{ provider: vllm, model: ${LOCAL} }]\nfallback_tier: local`,
      }
    : { provider: '', tier: '' };
  return `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai: { kind: openai, base_url: ${simUrl}/v1, api_key: sk-test, forward_headers: [x-sim-scenario] }
  anthropic: { kind: anthropic, base_url: ${simUrl}, api_key: sk-ant-test, forward_headers: [x-sim-scenario] }${local.provider}
tiers:
  cheap: [{ provider: openai, model: ${MINI} }, { provider: anthropic, model: ${HAIKU} }]
  mid: [{ provider: anthropic, model: ${SONNET} }]
  heavy: [{ provider: openai, model: ${GPT4O} }]${local.tier}
tier_order: [cheap, mid, heavy]
retry: { max_retries: 2, base_delay_ms: 100, max_delay_ms: 400 }
contracts_dir: ${join(REPO_ROOT, 'contracts')}
cache: { enabled: ${cache} }
audit: { sqlite: { path: ${join(dir, 'audit.db')} } }
keys: { store: sqlite, sqlite_path: ${join(dir, 'keys.db')} }
${extra}`;
}

interface LogLine {
  msg: string;
  request_id?: string;
  attempts?: string[];
  outcome?: string;
  cost_usd?: number;
  cost_estimated?: boolean;
  model?: string;
}

interface Rig {
  sim: RunningSimulator;
  gateway: RunningGateway;
  clock: RecordingClock;
  client: OpenAI;
  auditPath: string;
  /** The `request` line the finishing step logged for a request id. */
  logOf(requestId: string | null): LogLine | undefined;
  close(): Promise<void>;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** A simulator and a gateway whose request log lines are kept for the test to read. */
async function start(
  options: { extra?: string; localUrl?: string; cache?: boolean } = {},
): Promise<Rig> {
  const sim = await startSimulator({ logger: silentLogger() });
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-stream-'));
  const auditPath = join(dir, 'audit.db');
  const text = yaml({
    simUrl: sim.url,
    dir,
    localUrl: options.localUrl,
    cache: options.cache ?? false,
    extra: options.extra ?? '',
  });
  const { config } = parseConfig(text, {
    env: {},
    baseDir: REPO_ROOT,
    source: 'test',
  });
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
      }
      done();
    },
  });
  const clock = recordingClock();
  const logger = createLogger({ level: 'info', destination });
  const gateway = await startGateway({ config, clock, logger, port: 0 });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  let closed = false;
  rig = {
    sim,
    gateway,
    clock,
    client,
    auditPath,
    logOf: (id) => lines.find((line) => line.msg === 'request' && line.request_id === id),
    async close() {
      if (closed) return;
      closed = true;
      await gateway.close();
      await sim.close();
    },
  };
  return rig;
}

type StreamBody = Omit<OpenAI.Chat.ChatCompletionCreateParamsStreaming, 'stream'>;

interface Streamed {
  chunks: ChatCompletionChunk[];
  /** What the SDK threw while reading, if anything. */
  error: unknown;
  requestId: string | null;
  headers: Headers;
}

async function streamed(
  r: Rig,
  body: StreamBody,
  options: { scenario?: string } = {},
): Promise<Streamed> {
  const headers = options.scenario ? { 'x-sim-scenario': options.scenario } : {};
  const { data, response } = await r.client.chat.completions
    .create({ ...body, stream: true }, { headers })
    .withResponse();
  const chunks: ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for await (const chunk of data) chunks.push(chunk);
  } catch (caught) {
    error = caught;
  }
  return {
    chunks,
    error,
    requestId: response.headers.get('x-request-id'),
    headers: response.headers,
  };
}

const contentOf = (chunks: ChatCompletionChunk[]) =>
  chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');

/** The same request unstreamed, for the text and usage a stream must match. */
async function unstreamed(r: Rig, body: StreamBody, scenario?: string) {
  const headers = scenario ? { 'x-sim-scenario': scenario } : {};
  return r.client.chat.completions.create({ ...body, stream: false }, { headers });
}

/** Polls every 20 ms, at most 250 times, until `read` gives a value. */
async function poll<T>(read: () => T | undefined): Promise<T | undefined> {
  for (let round = 0; round < 250; round++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return read();
}

function ask(model: string, prompt: string): StreamBody {
  return { model, messages: [{ role: 'user', content: prompt }] };
}

async function breakerOf(r: Rig, model: string) {
  const list = await r.gateway.resilience.breakers.list(r.clock.now());
  return list.find((b) => b.deploymentId.endsWith(`/${model}`));
}

describe('streaming through the openai client', () => {
  it('streams an OpenAI upstream as OpenAI does: a role chunk, content, a finish', async () => {
    const r = await start();
    const body = ask(MINI, 'Tell me about parcels.');
    const { chunks, error, requestId, headers } = await streamed(r, body);
    const whole = await unstreamed(r, body);

    expect(error).toBeUndefined();
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set([`chatcmpl-${requestId}`]));
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([MINI]));
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(contentOf(chunks)).toBe(whole.choices[0]?.message.content);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    // No usage chunk and no usage key: the client did not ask for them.
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(headers.get('content-type')).toBe('text/event-stream');
    expect(headers.get('x-switchyard-model')).toBe(MINI);
    expect(r.logOf(requestId)).toMatchObject({ outcome: 'success', attempts: [`${MINI}:success`] });
  });

  it('translates an Anthropic upstream into the same chunks', async () => {
    const r = await start();
    const body = ask(HAIKU, 'Tell me about trains.');
    const { chunks, error } = await streamed(r, body);
    const whole = await unstreamed(r, body);

    expect(error).toBeUndefined();
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([HAIKU]));
    expect(contentOf(chunks)).toBe(whole.choices[0]?.message.content);
    expect(contentOf(chunks)).toMatch(/^Simulated reply [0-9a-f]{8}: /);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('ends with a usage chunk only when the client asked, with the final usage', async () => {
    const r = await start();
    for (const model of [MINI, HAIKU]) {
      const body = ask(model, `Count my tokens on ${model}.`);
      const whole = await unstreamed(r, body);
      const { chunks } = await streamed(r, {
        ...body,
        stream_options: { include_usage: true },
      });
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage).toEqual(whole.usage);
      expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
      // Every other chunk says usage: null, as OpenAI's do.
      expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    }
  });

  it('delivers a multi-byte character split across two upstream reads intact', async () => {
    const r = await start();
    for (const model of [MINI, HAIKU]) {
      const body = ask(model, 'Say something in French and Japanese.');
      const { chunks, error } = await streamed(r, body, { scenario: 'split_utf8' });
      expect(error).toBeUndefined();
      const text = contentOf(chunks);
      expect(text.endsWith(' café ✓ 日本.')).toBe(true);
      expect(text).not.toContain('\uFFFD');
    }
  });

  it('skips a first upstream chunk with empty choices', async () => {
    const r = await start();
    const body = ask(MINI, 'Start with an empty chunk.');
    const whole = await unstreamed(r, body);
    const { chunks, error } = await streamed(
      r,
      { ...body, stream_options: { include_usage: true } },
      { scenario: 'empty_choices_first' },
    );
    expect(error).toBeUndefined();
    expect(contentOf(chunks)).toBe(whole.choices[0]?.message.content);
    // Only the final usage chunk has no choice.
    expect(chunks.filter((c) => c.choices.length === 0)).toHaveLength(1);
    expect(chunks.at(-1)?.usage?.prompt_tokens).toBe(whole.usage?.prompt_tokens);
  });
});

describe('a refusal', () => {
  it('streams as OpenAI streams one, in delta.refusal, and is logged as a refusal', async () => {
    const r = await start();
    const { chunks, error, requestId } = await streamed(r, ask(MINI, 'Do something bad.'), {
      scenario: 'refusal',
    });
    expect(error).toBeUndefined();
    expect(contentOf(chunks)).toBe('');
    const refusal = chunks.map((c) => c.choices[0]?.delta.refusal ?? '').join('');
    expect(refusal).toBe(REFUSAL_TEXT);
    expect(r.logOf(requestId)).toMatchObject({
      outcome: 'refusal',
      attempts: [`${MINI}:refusal`],
    });
  });
});

describe('a refusal of a json_schema request, streamed', () => {
  it('reaches the client in delta.refusal after the buffered judgement', async () => {
    const r = await start();
    const { chunks, error } = await streamed(
      r,
      {
        ...ask(MINI, 'Do something bad.'),
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 's',
            schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
          },
        },
      },
      { scenario: 'refusal' },
    );
    expect(error).toBeUndefined();
    expect(contentOf(chunks)).toBe('');
    const refusal = chunks.map((c) => c.choices[0]?.delta.refusal ?? '').join('');
    expect(refusal).toBe(REFUSAL_TEXT);
  });
});

describe('an Anthropic refusal', () => {
  it('reaches an OpenAI client as delta.refusal, not as an empty answer', async () => {
    const r = await start();
    const { chunks, error } = await streamed(r, ask(HAIKU, 'Do something bad.'), {
      scenario: 'refusal',
    });
    expect(error).toBeUndefined();
    const refusal = chunks.map((c) => c.choices[0]?.delta.refusal ?? '').join('');
    expect(refusal.length).toBeGreaterThan(0);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });
});

describe('failures before and after the first content', () => {
  it('retries an error event that came before any content elsewhere, unnoticed', async () => {
    const r = await start();
    r.sim.script(MINI, ['stream_error_before_content']);
    const { chunks, error, requestId } = await streamed(r, ask('cheap', 'Retry me.'));

    expect(error).toBeUndefined();
    // The retry went one tier heavier, to Anthropic's model, which answered.
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([SONNET]));
    expect(contentOf(chunks)).toMatch(/^Simulated reply/);
    expect(r.sim.stats().byScenario.stream_error_before_content).toBe(1);
    expect(r.logOf(requestId)).toMatchObject({
      outcome: 'success',
      attempts: [`${MINI}:server_error`, `${SONNET}:success`],
    });
    expect(r.clock.sleeps).toHaveLength(1);
    expect((await breakerOf(r, MINI))?.consecutiveFailures).toBe(1);
  });

  it("retries Anthropic's overloaded_error after a 200 on the next deployment", async () => {
    const r = await start();
    r.sim.script(SONNET, ['stream_error_before_content']);
    const { chunks, error, requestId } = await streamed(r, ask('mid', 'Overload me.'));

    expect(error).toBeUndefined();
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([GPT4O]));
    expect(r.logOf(requestId)?.attempts).toEqual([`${SONNET}:overloaded`, `${GPT4O}:success`]);
    expect((await breakerOf(r, SONNET))?.consecutiveFailures).toBe(1);
  });

  it('ends with an error event after content, counted against the deployment', async () => {
    const r = await start();
    for (const [model, upstream] of [
      [MINI, 'server_error'],
      [HAIKU, 'overloaded'],
    ] as const) {
      const body = ask(model, 'Fail half way.');
      const whole = await unstreamed(r, body);
      const { chunks, error, requestId } = await streamed(r, body, {
        scenario: 'stream_error_after_content',
      });

      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_error');
      const partial = contentOf(chunks);
      expect(partial.length).toBeGreaterThan(0);
      expect(whole.choices[0]?.message.content?.startsWith(partial)).toBe(true);
      expect(partial).not.toBe(whole.choices[0]?.message.content);
      // No retry after content: one attempt, failed, and the request failed.
      expect(r.logOf(requestId)).toMatchObject({
        outcome: 'upstream_error',
        attempts: [`${model}:${upstream}`],
      });
      expect((await breakerOf(r, model))?.consecutiveFailures).toBe(1);
    }
    expect(r.clock.sleeps).toEqual([]);
  });

  it('ends with an error event when the upstream connection drops mid-stream', async () => {
    const r = await start();
    // 10 ms between frames, so the content is read before the socket goes.
    r.sim.configure(MINI, { latencyMs: 100 });
    const { chunks, error, requestId } = await streamed(r, ask(MINI, 'Drop me.'), {
      scenario: 'stream_drop',
    });
    expect(contentOf(chunks).length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(r.logOf(requestId)).toMatchObject({
      outcome: 'upstream_error',
      attempts: [`${MINI}:connection`],
    });
    expect((await breakerOf(r, MINI))?.consecutiveFailures).toBe(1);
  });

  it('ends with an upstream_timeout event when the deadline passes mid-stream', async () => {
    const r = await start({ extra: 'deadline_ms: 1000' });
    // 20 ms between some 350 frames: seconds longer than the deadline.
    r.sim.configure(MINI, { latencyMs: 200 });
    const { chunks, error, requestId } = await streamed(
      r,
      { ...ask(MINI, 'Outlast the deadline.'), max_tokens: 4000 },
      { scenario: 'long_reply:50' },
    );
    expect(contentOf(chunks).length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_timeout');
    expect(r.logOf(requestId)).toMatchObject({
      outcome: 'upstream_timeout',
      attempts: [`${MINI}:aborted`],
      cost_estimated: true,
    });
    // Our deadline says nothing about the deployment's health.
    expect((await breakerOf(r, MINI))?.consecutiveFailures ?? 0).toBe(0);
  });

  it('stops the upstream stream when the client goes away, not counted against it', async () => {
    const r = await start();
    r.sim.configure(MINI, { latencyMs: 200 });
    const { data, response } = await r.client.chat.completions
      .create(
        { ...ask(MINI, 'I will leave.'), max_tokens: 4000, stream: true },
        {
          headers: { 'x-sim-scenario': 'long_reply:50' },
        },
      )
      .withResponse();
    const requestId = response.headers.get('x-request-id');
    for await (const chunk of data) {
      expect(chunk.model).toBe(MINI);
      break; // leaving the loop aborts the request
    }
    const line = await poll(() => r.logOf(requestId));
    expect(line).toMatchObject({ outcome: 'client_closed', attempts: [`${MINI}:aborted`] });
    expect((await breakerOf(r, MINI))?.consecutiveFailures ?? 0).toBe(0);
  });

  it('answers a failure before any stream with the ordinary JSON error', async () => {
    const r = await start();
    // Every attempt (pinned, so always this deployment) gets a 500.
    const request = r.client.chat.completions.create(
      { ...ask(MINI, 'Always fail.'), stream: true },
      { headers: { 'x-sim-scenario': 'server_error' } },
    );
    await expect(request).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
    expect(r.sim.stats().requests).toBe(3);
  });
});

describe('streamed requests with a JSON Schema', () => {
  const sentiment = {
    type: 'json_schema' as const,
    json_schema: {
      name: 'sentiment',
      strict: true,
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['label'],
        properties: { label: { type: 'string', enum: ['positive', 'negative', 'neutral'] } },
      },
    },
  };

  it('releases only the validated answer, as one content chunk', async () => {
    const r = await start();
    for (const model of [MINI, HAIKU]) {
      const { chunks, error } = await streamed(r, {
        ...ask(model, 'The parcel arrived broken.'),
        response_format: sentiment,
      });
      expect(error).toBeUndefined();
      const content = chunks.filter((c) => c.choices[0]?.delta.content);
      expect(content).toHaveLength(1);
      const label = (JSON.parse(contentOf(chunks)) as { label: string }).label;
      expect(['positive', 'negative', 'neutral']).toContain(label);
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    }
  });

  it('repairs a fenced answer before it is released', async () => {
    const r = await start();
    const { chunks, error, requestId } = await streamed(
      r,
      { ...ask(MINI, 'Fence it.'), response_format: sentiment },
      { scenario: 'fenced_json' },
    );
    expect(error).toBeUndefined();
    const content = contentOf(chunks);
    expect(content.startsWith('{')).toBe(true);
    expect(JSON.parse(content)).toHaveProperty('label');
    expect(r.logOf(requestId)?.attempts).toEqual([`${MINI}:success`]);
  });

  it('never delivers a stream cut off by the token limit', async () => {
    const r = await start();
    const request = r.client.chat.completions.create(
      { ...ask('cheap', 'Cut me short.'), response_format: sentiment, stream: true },
      { headers: { 'x-sim-scenario': 'truncated' } },
    );
    // Cut off, re-asked once a tier heavier, cut off again: a 422, not a stream.
    await expect(request).rejects.toMatchObject({ status: 422, code: 'schema_violation' });
  });

  it('never delivers a stream cut off by a dropped connection', async () => {
    const r = await start();
    const request = r.client.chat.completions.create(
      { ...ask(MINI, 'Drop the JSON.'), response_format: sentiment, stream: true },
      { headers: { 'x-sim-scenario': 'stream_drop' } },
    );
    await expect(request).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
    // Each drop was a failed attempt, retried with backoff on the pinned deployment.
    expect(r.clock.sleeps).toHaveLength(2);
    expect(r.sim.stats().byScenario.stream_drop).toBe(3);
  });
});

describe('a stream that reports no usage', () => {
  it('is priced from our own count and recorded as estimated, never as zero', async () => {
    const r = await start();
    const ids: Array<string | null> = [];
    for (const model of [MINI, HAIKU]) {
      const { chunks, error, requestId } = await streamed(
        r,
        { ...ask(model, 'No usage, please.'), stream_options: { include_usage: true } },
        { scenario: 'no_usage' },
      );
      expect(error).toBeUndefined();
      // The client asked for usage, but there was none to give: no usage chunk at all.
      expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
      expect(chunks.every((c) => c.usage === null)).toBe(true);
      const line = r.logOf(requestId);
      expect(line).toMatchObject({ outcome: 'success', cost_estimated: true });
      expect(line?.cost_usd).toBeGreaterThan(0);
      ids.push(requestId);
    }

    await r.close(); // flushes the audit log
    const db = new Database(r.auditPath, { readonly: true });
    try {
      const rows = db
        .prepare(
          `SELECT request_id, outcome, cost_estimated, cost_usd, input_tokens, output_tokens
           FROM attempts ORDER BY request_id`,
        )
        .all() as Array<Record<string, unknown>>;
      for (const id of ids) {
        expect(rows.find((row) => row.request_id === id)).toMatchObject({
          outcome: 'success',
          cost_estimated: 1,
          input_tokens: null,
          output_tokens: null,
        });
      }
    } finally {
      db.close();
    }
  });
});

describe('the request path around the stream', () => {
  it('applies the cost cap before a streamed attempt', async () => {
    const r = await start({ extra: 'cost: { max_cost_usd_per_request: 0.0001 }' });
    const request = r.client.chat.completions.create({
      ...ask(GPT4O, 'Too dear.'),
      max_tokens: 4000,
      stream: true,
    });
    await expect(request).rejects.toMatchObject({ status: 402, code: 'cost_cap_exceeded' });
    expect(r.sim.stats().requests).toBe(0);
  });

  it('opens a breaker after three failed streams and routes around it', async () => {
    const r = await start();
    r.sim.script(MINI, Array(3).fill('stream_error_before_content'));
    for (let i = 0; i < 3; i++) {
      const { chunks } = await streamed(r, ask('cheap', `Fail ${i}.`));
      expect(chunks[0]?.model).toBe(SONNET);
    }
    expect((await breakerOf(r, MINI))?.state).toBe('open');

    const { chunks, requestId } = await streamed(r, ask('cheap', 'Now skip it.'));
    expect(chunks[0]?.model).toBe(HAIKU);
    expect(r.logOf(requestId)?.attempts).toEqual([`${HAIKU}:success`]);
  });

  it('serves the stream from the fallback tier when every cloud attempt fails', async () => {
    const local = await startSimulator({ logger: silentLogger() });
    try {
      const r = await start({ localUrl: local.url });
      const { chunks, error, requestId } = await streamed(r, ask('cheap', 'Fall back.'), {
        scenario: 'server_error',
      });
      expect(error).toBeUndefined();
      expect(new Set(chunks.map((c) => c.model))).toEqual(new Set([LOCAL]));
      expect(contentOf(chunks)).toMatch(/^Simulated reply/);
      expect(r.logOf(requestId)?.attempts).toEqual([
        `${MINI}:server_error`,
        `${SONNET}:server_error`,
        `${GPT4O}:server_error`,
        `${LOCAL}:success`,
      ]);
      // Two backoffs between the three cloud attempts; the fallback serves at once.
      expect(r.clock.sleeps).toHaveLength(2);
    } finally {
      await rig?.close();
      await local.close();
    }
  });

  it('holds the in-flight slot until the stream ends, so a second stream goes elsewhere', async () => {
    const r = await start({
      extra:
        'resilience: { max_in_flight_per_deployment: 1, max_queued_per_deployment: 0, ' +
        'queue_wait_ms: 0 }',
    });
    // 20 ms between frames and a long answer: the first stream lasts seconds.
    r.sim.configure(MINI, { latencyMs: 200 });
    const first = await r.client.chat.completions.create(
      { ...ask(MINI, 'A long one.'), stream: true },
      { headers: { 'x-sim-scenario': 'long_reply:50' } },
    );
    const reader = first[Symbol.asyncIterator]();
    const opening = await reader.next();
    expect(opening.value?.model).toBe(MINI);

    const { chunks, requestId } = await streamed(r, ask('cheap', 'Meanwhile.'));
    expect(chunks[0]?.model).toBe(HAIKU);
    expect(r.logOf(requestId)?.attempts).toEqual([`${HAIKU}:success`]);
    first.controller.abort();
  });

  it('streams a cached answer whole, without asking the upstream again', async () => {
    const r = await start({ cache: true });
    const body = ask(MINI, 'Cache me.');
    const first = await streamed(r, body);
    const second = await streamed(r, body);
    expect(first.headers.get('x-switchyard-cache')).toBe('miss');
    expect(second.headers.get('x-switchyard-cache')).toBe('hit');
    expect(contentOf(second.chunks)).toBe(contentOf(first.chunks));
    expect(second.chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(r.sim.stats().requests).toBe(1);
  });

  it('checks the client key first and settles the stream’s cost against its budget', async () => {
    const token = 'adm-stream-test-0123456789';
    const r = await start({ extra: `admin: { token: "${token}" }` });
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${r.gateway.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(async (response) => (await response.json()) as Record<string, unknown>);
    const { id, key } = (await admin('POST', '/admin/keys', {
      owner: 'stream test',
      daily_budget_usd: 1,
    })) as { id: string; key: string };

    await expect(
      r.client.chat.completions.create({ ...ask(MINI, 'No key.'), stream: true }),
    ).rejects.toMatchObject({ status: 401 });

    const keyed = new OpenAI({ baseURL: `${r.gateway.url}/v1`, apiKey: key, maxRetries: 0 });
    const { data, response } = await keyed.chat.completions
      .create({ ...ask(MINI, 'With a key.'), stream: true })
      .withResponse();
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of data) chunks.push(chunk);
    expect(contentOf(chunks)).toMatch(/^Simulated reply/);

    const costUsd = (await poll(() => r.logOf(response.headers.get('x-request-id'))))?.cost_usd;
    expect(costUsd).toBeGreaterThan(0);
    type Usage = Record<string, { spent_usd: number; reserved_usd: number }>;
    // The budget is settled just after the log line; wait for the hold to go.
    let usage: Usage = {};
    for (let round = 0; round < 50; round++) {
      usage = (await admin('GET', `/admin/keys/${id}`)).usage as Usage;
      if (usage.day?.reserved_usd === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(usage.day?.spent_usd).toBeCloseTo(costUsd ?? 0, 9);
    expect(usage.day?.reserved_usd).toBe(0);
  });

  it('rejects stream_options without stream, naming the field', async () => {
    const r = await start();
    const response = await fetch(`${r.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...ask(MINI, 'x'),
        stream_options: { include_usage: true },
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toBe('stream_options: is only allowed when stream is true');
  });

  it('ends the raw event stream with data: [DONE]', async () => {
    const r = await start();
    const response = await fetch(`${r.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask(MINI, 'Raw, please.'), stream: true }),
    });
    const text = await response.text();
    expect(text.startsWith('data: {')).toBe(true);
    expect(text.endsWith('\n\ndata: [DONE]\n\n')).toBe(true);
  });
});
