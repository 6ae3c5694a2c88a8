import { describe, expect, it } from 'vitest';
import { compileSchema } from '../contracts/compile-schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { AttemptRecord } from '../routing/attempt.js';
import type { RouteFailure, RouteSuccess } from '../routing/route-engine.js';
import { toAuditRecord } from './audit-record.js';

const contract = compileSchema('label', {
  type: 'object',
  required: ['label'],
  properties: { label: { type: 'string' } },
});

const cheapFailure: AttemptRecord = {
  tier: 'cheap',
  model: 'gpt-4o-mini-2024-07-18',
  deploymentId: 'cheap/openai/gpt-4o-mini-2024-07-18',
  outcome: 'schema_invalid',
  latencyMs: 12,
  costUsd: 0.00002,
  costEstimated: false,
  usage: {
    inputTokens: 80,
    cachedInputTokens: 20,
    cacheWriteTokens: 0,
    outputTokens: 10,
    reasoningTokens: 0,
  },
  error: 'label: is required',
};

const midSuccess: AttemptRecord = {
  tier: 'mid',
  model: 'gpt-4o-2024-08-06',
  deploymentId: 'mid/openai/gpt-4o-2024-08-06',
  outcome: 'success',
  latencyMs: 30,
  costUsd: 0.0004,
  costEstimated: false,
  usage: {
    inputTokens: 120,
    cachedInputTokens: 0,
    cacheWriteTokens: 5,
    outputTokens: 8,
    reasoningTokens: 3,
  },
};

const escalated: RouteSuccess = {
  ok: true,
  deployment: {
    id: 'mid/openai/gpt-4o-2024-08-06',
    tier: 'mid',
    provider: 'openai',
    model: 'gpt-4o-2024-08-06',
    contextWindow: 128_000,
    maxPromptTokens: undefined,
    costPerRequestUsd: 0,
  },
  payload: { label: 'negative' },
  text: '{"label":"negative"}',
  repaired: true,
  finishReason: 'stop',
  usage: midSuccess.usage,
  attempts: [cheapFailure, midSuccess],
  costUsd: 0.00042,
  fallback: false,
};

const base = {
  requestId: 'req_1',
  startedMs: Date.UTC(2025, 2, 4, 10, 30),
  latencyMs: 45,
  endpoint: '/v1/route',
};

describe('toAuditRecord', () => {
  it('records an escalated success with every attempt and summed tokens', () => {
    const record = toAuditRecord({
      ...base,
      job: { taskType: 'classification', contract },
      result: escalated,
      status: 200,
      apiKeyId: 'key_7',
      metadata: { team: 'support' },
    });
    expect(record).toEqual({
      requestId: 'req_1',
      timeMs: Date.UTC(2025, 2, 4, 10, 30),
      apiKeyId: 'key_7',
      taskType: 'classification',
      tier: 'mid',
      model: 'gpt-4o-2024-08-06',
      endpoint: '/v1/route',
      statusCode: 200,
      attempts: [
        {
          tier: 'cheap',
          model: 'gpt-4o-mini-2024-07-18',
          deploymentId: 'cheap/openai/gpt-4o-mini-2024-07-18',
          outcome: 'schema_invalid',
          latencyMs: 12,
          costUsd: 0.00002,
          costEstimated: false,
          tokens: {
            inputTokens: 80,
            cachedInputTokens: 20,
            cacheWriteTokens: 0,
            outputTokens: 10,
            reasoningTokens: 0,
          },
          upstreamStatus: null,
        },
        {
          tier: 'mid',
          model: 'gpt-4o-2024-08-06',
          deploymentId: 'mid/openai/gpt-4o-2024-08-06',
          outcome: 'success',
          latencyMs: 30,
          costUsd: 0.0004,
          costEstimated: false,
          tokens: {
            inputTokens: 120,
            cachedInputTokens: 0,
            cacheWriteTokens: 5,
            outputTokens: 8,
            reasoningTokens: 3,
          },
          upstreamStatus: null,
        },
      ],
      latencyMs: 45,
      costUsd: 0.00042,
      tokens: {
        inputTokens: 200,
        cachedInputTokens: 20,
        cacheWriteTokens: 5,
        outputTokens: 18,
        reasoningTokens: 3,
      },
      schemaValid: true,
      repaired: true,
      cacheHit: false,
      // An escalation between cloud tiers is not a fallback.
      fallback: false,
      errorType: null,
      metadata: { team: 'support' },
    });
  });

  it('marks an answer of the fallback tier as a fallback', () => {
    const record = toAuditRecord({
      ...base,
      job: { taskType: 'classification', contract },
      result: { ...escalated, fallback: true },
      status: 200,
    });
    expect(record.fallback).toBe(true);
  });

  it('leaves prompt and output text out unless includeText is set', () => {
    const messages = [{ role: 'user' as const, content: 'The parcel arrived broken.' }];
    const options = {
      ...base,
      job: { taskType: 'classification', contract, messages },
      result: escalated,
      status: 200,
    };
    const without = toAuditRecord(options);
    expect('prompt' in without).toBe(false);
    expect('output' in without).toBe(false);

    const withText = toAuditRecord({ ...options, includeText: true });
    expect(withText.prompt).toEqual(messages);
    expect(withText.output).toBe('{"label":"negative"}');
  });

  it('records a schema violation as schemaValid false with the last attempt tier', () => {
    const failure: RouteFailure = {
      ok: false,
      error: new GatewayError('schema_violation', 'output did not satisfy the contract'),
      attempts: [cheapFailure, { ...midSuccess, outcome: 'schema_invalid' }],
      costUsd: 0.00042,
    };
    const record = toAuditRecord({
      ...base,
      job: { taskType: 'classification', contract },
      result: failure,
      status: 422,
    });
    expect(record.schemaValid).toBe(false);
    expect(record.errorType).toBe('schema_violation');
    expect(record.tier).toBe('mid');
    expect(record.model).toBe('gpt-4o-2024-08-06');
    expect(record.statusCode).toBe(422);
    expect(record.costUsd).toBe(0.00042);
  });

  it('keeps the upstream status and null tokens of a failed attempt', () => {
    const failure: RouteFailure = {
      ok: false,
      error: new GatewayError('upstream_error', 'bad gateway'),
      attempts: [
        {
          ...cheapFailure,
          outcome: 'server_error',
          usage: null,
          costUsd: 0,
          status: 502,
        },
      ],
      costUsd: 0,
    };
    const record = toAuditRecord({
      ...base,
      job: { taskType: 'classification', contract },
      result: failure,
      status: 502,
    });
    expect(record.attempts[0]!.tokens).toBeNull();
    expect(record.attempts[0]!.upstreamStatus).toBe(502);
    expect(record.schemaValid).toBeNull();
    expect(record.fallback).toBe(false);
    expect(record.errorType).toBe('upstream_error');
  });

  it('records a cache hit with no attempts and no cost', () => {
    const record = toAuditRecord({
      ...base,
      job: { taskType: 'classification', contract },
      result: escalated,
      status: 200,
      cacheHit: true,
    });
    expect(record.cacheHit).toBe(true);
    expect(record.attempts).toEqual([]);
    expect(record.costUsd).toBe(0);
    expect(record.fallback).toBe(false);
    expect(record.tier).toBe('mid');
  });

  it('records a request refused before routing with its error type', () => {
    const record = toAuditRecord({
      ...base,
      endpoint: '/v1/chat/completions',
      status: 400,
      errorType: 'invalid_request',
    });
    expect(record.taskType).toBeNull();
    expect(record.tier).toBeNull();
    expect(record.attempts).toEqual([]);
    expect(record.errorType).toBe('invalid_request');
    expect(record.schemaValid).toBeNull();
    expect(record.apiKeyId).toBeNull();
  });
});
