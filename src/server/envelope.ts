import type { AttemptRecord } from '../routing/attempt.js';
import type { RouteJob, RouteSuccess } from '../routing/route-engine.js';
import type { Clock } from '../util/clock.js';

/** Tokens of one attempt, by kind, as billed. */
export interface UsageView {
  input_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
}

/** The typed answer of `/v1/route`. */
export interface RouteEnvelope {
  request_id: string;
  task_type: string;
  tier: string;
  model_used: string;
  payload: unknown;
  confidence: number | null;
  latency_ms: number;
  cost_usd: number;
  attempts: Array<{
    tier: string;
    model: string;
    outcome: string;
    latency_ms: number;
    cost_usd: number;
    cost_estimated?: boolean;
    usage: UsageView | null;
    error?: string;
  }>;
  repaired: boolean;
  cache_hit: boolean;
  fallback: boolean;
}

export function toEnvelope(options: {
  requestId: string;
  job: Pick<RouteJob, 'taskType' | 'contract'>;
  result: RouteSuccess;
  latencyMs: number;
}): RouteEnvelope {
  const { requestId, job, result, latencyMs } = options;
  return {
    request_id: requestId,
    task_type: job.taskType,
    tier: result.deployment.tier,
    model_used: result.deployment.model,
    payload: result.payload,
    confidence: confidenceOf(result.payload, job.contract?.hasConfidence ?? false),
    latency_ms: latencyMs,
    cost_usd: result.costUsd,
    attempts: result.attempts.map(toAttemptView),
    repaired: result.repaired,
    cache_hit: false,
    fallback: result.fallback,
  };
}

export function toAttemptView(attempt: AttemptRecord): RouteEnvelope['attempts'][number] {
  return {
    tier: attempt.tier,
    model: attempt.model,
    outcome: attempt.outcome,
    latency_ms: attempt.latencyMs,
    cost_usd: attempt.costUsd,
    ...(attempt.costEstimated ? { cost_estimated: true } : {}),
    usage: attempt.usage
      ? {
          input_tokens: attempt.usage.inputTokens,
          cached_input_tokens: attempt.usage.cachedInputTokens,
          cache_write_tokens: attempt.usage.cacheWriteTokens,
          output_tokens: attempt.usage.outputTokens,
          reasoning_tokens: attempt.usage.reasoningTokens,
        }
      : null,
    ...(attempt.error !== undefined ? { error: attempt.error } : {}),
  };
}

function confidenceOf(payload: unknown, declared: boolean): number | null {
  if (!declared || typeof payload !== 'object' || payload === null) return null;
  const value = (payload as { confidence?: unknown }).confidence;
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : null;
}

/**
 * A standard OpenAI chat completion. With a contract, the content is the
 * validated (and, if needed, repaired) JSON, so it always parses.
 */
export function toChatCompletion(options: {
  requestId: string;
  result: RouteSuccess;
  clock: Clock;
}): Record<string, unknown> {
  const { requestId, result, clock } = options;
  const refused = result.refusal !== undefined;
  const content = refused
    ? null
    : result.payload === undefined
      ? result.text
      : JSON.stringify(result.payload);
  const usage = result.usage;
  const promptTokens = usage
    ? usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens
    : 0;
  return {
    id: `chatcmpl-${requestId}`,
    object: 'chat.completion',
    created: Math.floor(clock.now() / 1000),
    model: result.deployment.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: refused ? result.refusal : null },
        logprobs: null,
        finish_reason: result.finishReason === 'length' ? 'length' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: usage?.outputTokens ?? 0,
      total_tokens: promptTokens + (usage?.outputTokens ?? 0),
      prompt_tokens_details: { cached_tokens: usage?.cachedInputTokens ?? 0 },
      completion_tokens_details: { reasoning_tokens: usage?.reasoningTokens ?? 0 },
    },
    system_fingerprint: null,
  };
}
