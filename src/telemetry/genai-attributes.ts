import type { Attributes } from '@opentelemetry/api';
import type { AttemptRecord } from '../routing/attempt.js';
import type { RequestFacts } from './request-facts.js';

/**
 * Attribute names of the OpenTelemetry GenAI semantic conventions (still
 * "development" status, so written out here rather than imported from the
 * incubating entry point, which may rename them between releases).
 */
export const GEN_AI = {
  system: 'gen_ai.system',
  operationName: 'gen_ai.operation.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
} as const;

/** Switchyard's own span attributes. */
export const SWITCHYARD = {
  requestId: 'switchyard.request_id',
  taskType: 'switchyard.task_type',
  tier: 'switchyard.tier',
  outcome: 'switchyard.outcome',
  costUsd: 'switchyard.cost_usd',
  costEstimated: 'switchyard.cost_estimated',
  repaired: 'switchyard.repaired',
  cacheHit: 'switchyard.cache_hit',
  fallback: 'switchyard.fallback',
  endpoint: 'switchyard.endpoint',
  deployment: 'switchyard.deployment',
  attempts: 'switchyard.attempts',
  latencyMs: 'switchyard.latency_ms',
  overheadMs: 'switchyard.overhead_ms',
} as const;

/** The provider name of a deployment id, which reads `tier/provider/model`. */
export function providerOf(deploymentId: string): string {
  return deploymentId.split('/')[1] ?? 'unknown';
}

/**
 * Usage as the GenAI conventions count it: input tokens are all prompt
 * tokens, cached or not (ours bill cached ones apart), output includes
 * reasoning tokens (ours already do).
 */
function usageAttributes(attempts: readonly AttemptRecord[]): Attributes {
  let input = 0;
  let output = 0;
  let reported = false;
  for (const { usage } of attempts) {
    if (!usage) continue;
    reported = true;
    input += usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens;
    output += usage.outputTokens;
  }
  return reported ? { [GEN_AI.inputTokens]: input, [GEN_AI.outputTokens]: output } : {};
}

/** Attributes of one attempt's client span. */
export function attemptAttributes(
  attempt: AttemptRecord,
  options: { taskType: string; system: string; repaired: boolean },
): Attributes {
  const answered = attempt.usage !== null || attempt.outcome === 'success';
  return {
    [GEN_AI.operationName]: 'chat',
    [GEN_AI.system]: options.system,
    [GEN_AI.requestModel]: attempt.model,
    ...(answered ? { [GEN_AI.responseModel]: attempt.model } : {}),
    ...usageAttributes([attempt]),
    [SWITCHYARD.taskType]: options.taskType,
    [SWITCHYARD.tier]: attempt.tier,
    [SWITCHYARD.deployment]: attempt.deploymentId,
    [SWITCHYARD.outcome]: attempt.outcome,
    [SWITCHYARD.costUsd]: attempt.costUsd,
    [SWITCHYARD.costEstimated]: attempt.costEstimated,
    ...(attempt.outcome === 'success' ? { [SWITCHYARD.repaired]: options.repaired } : {}),
    ...(attempt.status !== undefined ? { 'http.response.status_code': attempt.status } : {}),
    ...(attempt.outcome !== 'success' ? { 'error.type': attempt.outcome } : {}),
  };
}

/** Attributes of the request's server span, once it has finished. */
export function requestAttributes(facts: RequestFacts, system: string): Attributes {
  const first = facts.attempts[0];
  return {
    [GEN_AI.operationName]: 'chat',
    [GEN_AI.system]: system,
    ...(first ? { [GEN_AI.requestModel]: first.model } : {}),
    ...(facts.outcome === 'success' ? { [GEN_AI.responseModel]: facts.model } : {}),
    ...usageAttributes(facts.attempts),
    [SWITCHYARD.requestId]: facts.requestId,
    [SWITCHYARD.endpoint]: facts.endpoint,
    [SWITCHYARD.taskType]: facts.taskType,
    [SWITCHYARD.tier]: facts.tier,
    [SWITCHYARD.outcome]: facts.outcome,
    [SWITCHYARD.costUsd]: facts.costUsd,
    [SWITCHYARD.repaired]: facts.repaired,
    [SWITCHYARD.cacheHit]: facts.cacheHit ?? false,
    [SWITCHYARD.fallback]: facts.fallback,
    [SWITCHYARD.attempts]: facts.attempts.length,
    [SWITCHYARD.latencyMs]: facts.latencyMs,
    [SWITCHYARD.overheadMs]: facts.overheadMs,
    ...(facts.outcome !== 'success' ? { 'error.type': facts.outcome } : {}),
  };
}
