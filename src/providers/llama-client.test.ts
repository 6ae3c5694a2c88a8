import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSchema } from '../contracts/compile-schema.js';
import { LlamaClient, LlamaLoadError } from './llama-client.js';
import type { AttemptResult, Completion, CompletionRequest, Failure } from './types.js';

// CI runs in a fresh clone with the shared models directory beside it.
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const modelPath = path.join(repoRoot, '..', 'shared', 'models', 'llama-2-tiny-random.gguf');
const CLASSIFICATION_PATH = path.join(repoRoot, 'contracts', 'classification.json');

/** Runs a suite that needs the test model; without it, skips it and says why. */
function describeWithModel(name: string, suite: () => void): void {
  if (existsSync(modelPath)) describe(name, suite);
  else describe.skip(`${name} (skipped: the test model ${modelPath} is absent)`, suite);
}

const TICKET_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['label', 'urgent', 'tags', 'opened_at'],
  properties: {
    label: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    urgent: { type: 'boolean' },
    tags: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string', maxLength: 8 } },
    opened_at: { type: 'string', format: 'date-time' },
  },
};

function request(overrides: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    model: 'llama-2-tiny-random',
    messages: [{ role: 'user', content: 'The parcel arrived broken.' }],
    maxTokens: 16,
    temperature: 0,
    timeouts: { connectMs: 1_000, firstByteMs: 10_000, totalMs: 10_000 },
    signal: new AbortController().signal,
    ...overrides,
  };
}

function completed(result: AttemptResult): Completion {
  if (result.kind !== 'completion') throw new Error(`expected a completion: ${result.message}`);
  return result;
}

function failed(result: AttemptResult): Failure {
  if (result.kind !== 'failure') throw new Error(`expected a failure, got "${result.text}"`);
  return result;
}

describeWithModel('LlamaClient on one sequence', () => {
  let client: LlamaClient;

  beforeAll(async () => {
    client = await LlamaClient.load({ modelPath, contextSizeTokens: 512, threads: 1 });
  });

  afterAll(async () => {
    await client?.close();
  });

  it('decodes under the schema grammar: the text parses as JSON and passes Ajv', async () => {
    const result = completed(
      await client.complete(
        request({
          maxTokens: 200,
          structuredOutput: { name: 'ticket', schema: TICKET_SCHEMA, strict: true },
        }),
      ),
    );

    expect(result.finishReason).toBe('stop');
    const contract = compileSchema('ticket', TICKET_SCHEMA);
    expect(contract.validate(JSON.parse(result.text))).toEqual([]);
  });

  it('keeps a bounded number in bounds: the shipped classification contract passes', async () => {
    const schema: unknown = JSON.parse(readFileSync(CLASSIFICATION_PATH, 'utf8'));
    const contract = compileSchema('classification', schema as Record<string, unknown>);

    const result = completed(
      await client.complete(
        request({
          maxTokens: 64,
          structuredOutput: {
            name: contract.name,
            schema: contract.schema,
            strict: contract.strict,
          },
        }),
      ),
    );

    // Without the grid the grammar lets through any number: this model then
    // answers a confidence of 7373737373737373.
    expect(result.finishReason).toBe('stop');
    expect(contract.validate(JSON.parse(result.text))).toEqual([]);
  });

  it('stops at maxTokens with finishReason length and counts exactly that many tokens', async () => {
    const result = completed(await client.complete(request({ maxTokens: 5 })));

    expect(result.finishReason).toBe('length');
    // The model evaluates the prompt as its chat template renders it, BOS
    // included: <s> "### Human\nThe parcel arrived broken.\n\n### Assistant\n",
    // 18 tokens of this model's vocabulary (checked against the tokens the
    // context sequence holds after the call).
    expect(result.usage).toEqual({
      inputTokens: 18,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 5,
      reasoningTokens: 0,
    });
    expect(result.headers).toEqual({});
  });

  it('gives the same text for the same request at temperature 0', async () => {
    const first = completed(await client.complete(request({ maxTokens: 12 })));
    const second = completed(await client.complete(request({ maxTokens: 12 })));

    expect(second.text).toBe(first.text);
    expect(first.text.length).toBeGreaterThan(0);
  });

  it('serialises concurrent calls on one sequence, each getting the answer it gets alone', async () => {
    const other = request({ messages: [{ role: 'user', content: 'Where is my refund?' }] });
    const aloneA = completed(await client.complete(request({ maxTokens: 24 })));
    const aloneB = completed(await client.complete({ ...other, maxTokens: 24 }));

    const [a, b] = await Promise.all([
      client.complete(request({ maxTokens: 24 })),
      client.complete({ ...other, maxTokens: 24 }),
    ]);

    expect(completed(a).text).toBe(aloneA.text);
    expect(completed(b).text).toBe(aloneB.text);
  });

  it('answers an already aborted signal with an aborted failure that is not retried', async () => {
    const controller = new AbortController();
    controller.abort();

    const result = failed(await client.complete(request({ signal: controller.signal })));

    expect(result).toMatchObject({ reason: 'aborted', retryable: false });
  });

  it('stops decoding when the signal aborts mid-answer, and the next call still works', async () => {
    const controller = new AbortController();
    const pending = client.complete(request({ maxTokens: 400, signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);

    const result = failed(await pending);

    expect(result).toMatchObject({ reason: 'aborted', retryable: false });
    expect(result.latencyMs).toBeLessThan(2_000);
    expect(completed(await client.complete(request({ maxTokens: 3 }))).finishReason).toBe('length');
  });

  it('gives up a waiting call when its signal aborts in the queue', async () => {
    const controller = new AbortController();
    const running = client.complete(request({ maxTokens: 200 }));
    const queued = client.complete(request({ maxTokens: 200, signal: controller.signal }));
    setTimeout(() => controller.abort(), 5);

    expect(failed(await queued).reason).toBe('aborted');
    expect(completed(await running).finishReason).toBe('length');
  });

  it('fails with a retryable timeout when timeouts.totalMs passes', async () => {
    const timeouts = { connectMs: 1_000, firstByteMs: 1_000, totalMs: 30 };

    const result = failed(await client.complete(request({ maxTokens: 400, timeouts })));

    expect(result).toMatchObject({ reason: 'timeout', retryable: true });
    expect(result.message).toBe('the local model did not finish within 30 ms');
  });

  it('refuses a prompt longer than the context with context_length', async () => {
    const content = 'word '.repeat(600);

    const result = failed(
      await client.complete(request({ messages: [{ role: 'user', content }] })),
    );

    expect(result.reason).toBe('context_length');
    expect(result.retryable).toBe(true);
    expect(result.message).toMatch(
      /^the prompt is \d+ tokens and the local model's context holds 512$/,
    );
  });

  it('refuses an image part with invalid_request naming the part', async () => {
    const messages: CompletionRequest['messages'] = [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] },
    ];

    const result = failed(await client.complete(request({ messages })));

    expect(result).toMatchObject({
      reason: 'invalid_request',
      retryable: false,
      message: 'messages[0].content[0]: the llama provider takes text parts only',
    });
  });

  it('refuses the schema false with invalid_request, since no grammar accepts anything', async () => {
    const structuredOutput = { name: 'nothing', schema: false, strict: false };

    const result = failed(await client.complete(request({ structuredOutput })));

    expect(result.reason).toBe('invalid_request');
    expect(result.message).toMatch(
      /^the llama provider cannot build a grammar from schema "nothing"/,
    );
  });
});

describeWithModel('LlamaClient on two sequences', () => {
  it('decodes two calls at once, then fails in-flight and later calls once closed', async () => {
    const client = await LlamaClient.load({
      modelPath,
      contextSizeTokens: 256,
      threads: 1,
      sequences: 2,
    });
    const both = await Promise.all([
      client.complete(request({ maxTokens: 8 })),
      client.complete(request({ maxTokens: 8 })),
    ]);
    expect(both.map((result) => completed(result).usage?.outputTokens)).toEqual([8, 8]);

    const inFlight = client.complete(request({ maxTokens: 200 }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await client.close();

    expect(failed(await inFlight)).toMatchObject({ reason: 'connection', retryable: true });
    expect(failed(await client.complete(request()))).toMatchObject({
      reason: 'connection',
      message: 'the llama provider was closed',
    });
  });
});

describe('LlamaClient.load', () => {
  it('says node-llama-cpp is missing when the package cannot be imported', async () => {
    const importModule = () => Promise.reject(new Error("Cannot find package 'node-llama-cpp'"));

    const loading = LlamaClient.load({ modelPath, importModule });

    await expect(loading).rejects.toBeInstanceOf(LlamaLoadError);
    await expect(loading).rejects.toMatchObject({
      code: 'llama_unavailable',
      message: expect.stringContaining('needs the optional package node-llama-cpp'),
    });
  });

  it('names the model file when it cannot be loaded', async () => {
    const missing = path.join(repoRoot, 'no-such-model.gguf');

    const loading = LlamaClient.load({ modelPath: missing, threads: 1 });

    await expect(loading).rejects.toMatchObject({
      code: 'llama_model_load_failed',
      message: expect.stringContaining(`could not load the GGUF model ${missing}`),
    });
  });
});
