import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../config/config-types.js';
import { compileSchema } from '../contracts/compile-schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { AttemptRecord } from '../routing/attempt.js';
import type { RouteResult } from '../routing/route-engine.js';
import { Telemetry } from './telemetry.js';

const CHEAP = 'gpt-4o-mini-2024-07-18';
const MID = 'gpt-4o-2024-08-06';
const contract = compileSchema('t', { type: 'object' });
const usage = (input: number, output: number) => ({
  inputTokens: input,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: output,
  reasoningTokens: 0,
});

function attempt(tier: string, model: string, extra: Partial<AttemptRecord>): AttemptRecord {
  return {
    tier,
    model,
    deploymentId: `${tier}/openai/${model}`,
    outcome: 'success',
    latencyMs: 10,
    costUsd: 0,
    costEstimated: false,
    usage: null,
    ...extra,
  };
}

function deployment(tier: string, model: string): DeploymentConfig {
  return {
    id: `${tier}/openai/${model}`,
    tier,
    provider: 'openai',
    model,
    contextWindow: undefined,
    maxPromptTokens: undefined,
    costPerRequestUsd: 0,
  };
}

/** A cheap answer that failed its schema, re-asked on mid, which answered (repaired). */
function escalated(): RouteResult {
  return {
    ok: true,
    deployment: deployment('mid', MID),
    payload: {},
    text: '{}',
    repaired: true,
    finishReason: 'stop',
    usage: usage(50, 5),
    costUsd: 0.003,
    fallback: false,
    attempts: [
      attempt('cheap', CHEAP, { outcome: 'schema_invalid', latencyMs: 40, costUsd: 0.001 }),
      attempt('mid', MID, { latencyMs: 120, costUsd: 0.002, usage: usage(50, 5) }),
    ],
  };
}

function costCapped(): RouteResult {
  return {
    ok: false,
    error: new GatewayError(
      'cost_cap_exceeded',
      'max_cost_usd: no attempt fits the cost cap of $0.01',
    ),
    costUsd: 0,
    attempts: [attempt('heavy', 'o1-2024-12-17', { outcome: 'skipped_cost_cap', latencyMs: 0 })],
  };
}

const job = { requestId: 'req_1', taskType: 'classification', contract };

/** The value of the one series of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const matches = text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => wanted.every((pair) => line.includes(pair)));
  if (matches.length > 1) throw new Error(`${matches.length} series match ${name}`);
  const line = matches[0];
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('Telemetry metrics', () => {
  it('exposes latency, cost, validation, retries and tokens under the documented names', async () => {
    const telemetry = new Telemetry({ region: 'eu-west-1', env: {} });
    telemetry.recordRequest({ job, result: escalated(), latencyMs: 180, upstreamMs: 160 });
    const text = await telemetry.metricsText();
    const request = { task_type: 'classification', model: MID, tier: 'mid', region: 'eu-west-1' };

    expect(sample(text, 'ai_request_latency_ms_count', { ...request, outcome: 'success' })).toBe(1);
    expect(sample(text, 'ai_request_latency_ms_sum', request)).toBe(180);
    expect(sample(text, 'ai_request_latency_ms_bucket', { ...request, le: '150' })).toBe(0);
    expect(sample(text, 'ai_request_latency_ms_bucket', { ...request, le: '200' })).toBe(1);
    expect(sample(text, 'ai_request_cost_usd_total', { model: CHEAP, tier: 'cheap' })).toBe(0.001);
    expect(sample(text, 'ai_request_cost_usd_total', { model: MID, tier: 'mid' })).toBe(0.002);
    expect(
      sample(text, 'ai_schema_validation_result_total', { status: 'invalid', model: CHEAP }),
    ).toBe(1);
    expect(
      sample(text, 'ai_schema_validation_result_total', { status: 'repaired', model: MID }),
    ).toBe(1);
    expect(sample(text, 'ai_schema_validation_result_total', { status: 'valid' })).toBeUndefined();
    expect(
      sample(text, 'ai_request_retries_total', { reason: 'schema_invalid', tier: 'mid' }),
    ).toBe(1);
    expect(sample(text, 'ai_tokens_total', { kind: 'input', model: MID })).toBe(50);
    expect(sample(text, 'ai_tokens_total', { kind: 'output', model: MID })).toBe(5);
    expect(sample(text, 'ai_gateway_overhead_ms_sum', { endpoint: 'route' })).toBe(20);
    expect(sample(text, 'ai_gateway_overhead_ms_bucket', { le: '10' })).toBe(0);
    expect(sample(text, 'ai_gateway_overhead_ms_bucket', { le: '25' })).toBe(1);
  });

  it('counts a cost-cap breach and neither cost nor retries for the skipped attempt', async () => {
    const telemetry = new Telemetry({ region: 'r', env: {} });
    telemetry.recordRequest({ job, result: costCapped(), latencyMs: 2 });
    const text = await telemetry.metricsText();

    expect(sample(text, 'ai_cost_cap_breaches_total', { model: 'o1-2024-12-17' })).toBe(1);
    expect(sample(text, 'ai_request_latency_ms_count', { outcome: 'cost_cap_exceeded' })).toBe(1);
    expect(text).not.toContain('ai_request_cost_usd_total{');
    expect(text).not.toContain('ai_request_retries_total{');
  });

  it('counts cache hits and misses only when a lookup was made', async () => {
    const telemetry = new Telemetry({ region: 'r', env: {} });
    telemetry.recordRequest({ job, result: escalated(), latencyMs: 1, cacheHit: true });
    telemetry.recordRequest({ job, result: escalated(), latencyMs: 1, cacheHit: false });
    telemetry.recordRequest({ job, result: escalated(), latencyMs: 1, cacheHit: false });
    telemetry.recordRequest({ job, result: escalated(), latencyMs: 1 });
    const text = await telemetry.metricsText();

    expect(sample(text, 'ai_cache_lookups_total', { result: 'hit' })).toBe(1);
    expect(sample(text, 'ai_cache_lookups_total', { result: 'miss' })).toBe(2);
  });

  it('counts a fallback given by the caller', async () => {
    const telemetry = new Telemetry({ region: 'r', env: {} });
    telemetry.recordRequest({ job, result: escalated(), latencyMs: 1, fallback: true });
    telemetry.recordRequest({ job, result: escalated(), latencyMs: 1 });
    const text = await telemetry.metricsText();

    expect(sample(text, 'ai_request_fallbacks_total', { tier: 'mid' })).toBe(1);
  });

  it('reports each breaker as 1 in its current state and 0 in the others', async () => {
    const telemetry = new Telemetry({
      region: 'r',
      env: {},
      breakers: async () => [{ deploymentId: 'cheap/openai/m', state: 'open' }],
    });
    const text = await telemetry.metricsText();
    const labels = { deployment: 'cheap/openai/m' };

    expect(sample(text, 'ai_breaker_state', { ...labels, state: 'open' })).toBe(1);
    expect(sample(text, 'ai_breaker_state', { ...labels, state: 'closed' })).toBe(0);
    expect(sample(text, 'ai_breaker_state', { ...labels, state: 'half_open' })).toBe(0);
  });

  it('counts budget rejections, policy changes, refusals and breaker transitions', async () => {
    const telemetry = new Telemetry({ region: 'r', env: {} });
    telemetry.metrics.recordBudgetRejection({ taskType: 'reasoning', reason: 'daily' });
    telemetry.metrics.recordPolicyChange({ policy: 'schema_pause', action: 'activated' });
    telemetry.recordGateEvent({ type: 'refused', deploymentId: 'd', reason: 'paused_by_policy' });
    telemetry.recordGateEvent({ type: 'cooled', deploymentId: 'd' });
    telemetry.breakerListener().onStateChange({
      deploymentId: 'd',
      from: 'closed',
      to: 'open',
      atMs: 0,
      reason: 'consecutive_failures',
    });
    const text = await telemetry.metricsText();

    expect(sample(text, 'ai_budget_rejections_total', { reason: 'daily' })).toBe(1);
    expect(sample(text, 'ai_policy_changes_total', { policy: 'schema_pause' })).toBe(1);
    expect(sample(text, 'ai_deployment_refusals_total', { reason: 'paused_by_policy' })).toBe(1);
    expect(sample(text, 'ai_breaker_transitions_total', { from: 'closed', to: 'open' })).toBe(1);
  });

  it('takes the region from AWS_REGION when the configuration has none, else us-east-1', () => {
    expect(new Telemetry({ env: { AWS_REGION: 'ap-south-1' } }).region).toBe('ap-south-1');
    expect(new Telemetry({ env: {} }).region).toBe('us-east-1');
    expect(new Telemetry({ region: 'eu-west-1', env: { AWS_REGION: 'x' } }).region).toBe(
      'eu-west-1',
    );
  });

  it('answers GET /metrics with the Prometheus text content type', async () => {
    const telemetry = new Telemetry({ region: 'r', env: {} });
    telemetry.recordRequest({ job, result: escalated(), latencyMs: 1 });
    const written: { status?: number; headers?: Record<string, string>; body?: string } = {};
    const res = {
      writeHead(status: number, headers: Record<string, string>) {
        written.status = status;
        written.headers = headers;
      },
      end(body: string) {
        written.body = body;
      },
    };
    await telemetry.metricsHandler({} as never, res as never);

    expect(written.status).toBe(200);
    expect(written.headers?.['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(written.body).toContain('# TYPE ai_request_latency_ms histogram');
  });
});

describe('Telemetry spans', () => {
  function traced(nowMs?: () => number) {
    const exporter = new InMemorySpanExporter();
    const telemetry = new Telemetry({
      region: 'r',
      env: {},
      spanExporter: exporter,
      ...(nowMs ? { nowMs } : {}),
    });
    return { telemetry, exporter };
  }

  it('puts one client span per attempt under the request span, with GenAI attributes', () => {
    const { telemetry, exporter } = traced();
    const span = telemetry.startRequestSpan({ requestId: 'req_1', taskType: 'classification' });
    span.end({ job, result: escalated() });
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'route classification')!;
    const children = spans.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);

    expect(children.map((s) => s.name)).toEqual([`chat ${CHEAP}`, `chat ${MID}`]);
    expect(root.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': CHEAP,
      'gen_ai.response.model': MID,
      'gen_ai.usage.input_tokens': 50,
      'gen_ai.usage.output_tokens': 5,
      'switchyard.task_type': 'classification',
      'switchyard.tier': 'mid',
      'switchyard.outcome': 'success',
      'switchyard.cost_usd': 0.003,
      'switchyard.repaired': true,
      'switchyard.cache_hit': false,
      'switchyard.fallback': false,
    });
    expect(children[0]!.attributes).toMatchObject({
      'gen_ai.request.model': CHEAP,
      'switchyard.outcome': 'schema_invalid',
      'switchyard.cost_usd': 0.001,
      'error.type': 'schema_invalid',
    });
    expect(children[1]!.attributes).toMatchObject({
      'gen_ai.response.model': MID,
      'gen_ai.usage.input_tokens': 50,
      'switchyard.repaired': true,
    });
  });

  it('times attempts as the engine reports them and measures latency and upstream wait', () => {
    let now = 1000;
    const { telemetry, exporter } = traced(() => now);
    const d = deployment('mid', MID);
    const span = telemetry.startRequestSpan({ requestId: 'r', taskType: 'classification' });
    now = 1005;
    span.attemptStarted(d.id);
    now = 1085;
    span.attemptEnded(d.id);
    now = 1090;
    const result: RouteResult = { ...escalated(), attempts: [attempt('mid', MID, {})] };
    const record = span.end({ job, result });
    const child = exporter.getFinishedSpans().find((s) => s.name === `chat ${MID}`)!;

    expect(record.latencyMs).toBe(90);
    expect(record.upstreamMs).toBe(80);
    const durationMs = child.duration[0] * 1000 + child.duration[1] / 1e6;
    expect(durationMs).toBeCloseTo(80, 6);
  });

  it('continues the trace of an incoming traceparent header', () => {
    const { telemetry, exporter } = traced();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const span = telemetry.startRequestSpan({
      requestId: 'r',
      taskType: 'classification',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    span.end({ job, result: escalated() });

    expect(span.traceId).toBe(traceId);
    expect(exporter.getFinishedSpans().every((s) => s.spanContext().traceId === traceId)).toBe(
      true,
    );
  });

  it('makes no span when nothing exports them, and still measures the request', () => {
    let now = 1000;
    const telemetry = new Telemetry({ region: 'r', env: {}, nowMs: () => now });
    const span = telemetry.startRequestSpan({ requestId: 'r', taskType: 'classification' });
    now = 1042;
    const record = span.end({ job, result: escalated() });

    expect(span.traceId).toBeUndefined();
    expect(record.latencyMs).toBe(42);
  });

  it('marks a failed request span as an error with the error type', () => {
    const { telemetry, exporter } = traced();
    telemetry.startRequestSpan({ requestId: 'r', taskType: 'reasoning' }).end({
      job,
      result: costCapped(),
    });
    const root = exporter.getFinishedSpans().find((s) => s.name === 'route reasoning')!;

    expect(root.status).toEqual({ code: 2, message: 'cost_cap_exceeded' });
    expect(root.attributes['switchyard.outcome']).toBe('cost_cap_exceeded');
  });
});
