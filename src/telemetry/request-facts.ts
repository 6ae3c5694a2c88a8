import type { AttemptOutcome, AttemptRecord } from '../routing/attempt.js';
import type { RouteJob, RouteResult } from '../routing/route-engine.js';
import { routeOutcome } from '../routing/route-outcome.js';

/** What the caller knows about one finished request, as `recordRequest` takes it. */
export interface RecordRequestInput {
  job: Pick<RouteJob, 'requestId' | 'taskType' | 'contract'>;
  result: RouteResult;
  /** Wall time from the request's arrival to its answer. */
  latencyMs: number;
  /** Time spent waiting on upstreams; default: the sum of the attempts' latencies. */
  upstreamMs?: number | undefined;
  /** Whether the response cache answered; leave undefined when no lookup was made. */
  cacheHit?: boolean | undefined;
  /** Whether a fallback served; default: `result.fallback` on success. */
  fallback?: boolean | undefined;
  /** Which API the request came through: `route` or `chat`. Default `route`. */
  endpoint?: string | undefined;
  /**
   * The client lowered the cost cap below the configured one: its cost-cap
   * skips say nothing about a deployment, so policies must not act on them.
   */
  capLoweredByClient?: boolean | undefined;
  /**
   * The output schema came with the request, not from the operator's
   * contracts: its failures say more about the schema than about the model.
   */
  callerSchema?: boolean | undefined;
}

/**
 * One finished request reduced to the facts metrics, the dashboard and the
 * policies need, computed once so that all three agree on what happened.
 */
export interface RequestFacts {
  requestId: string;
  taskType: string;
  endpoint: string;
  /** The tier and model that answered; on failure the last ones tried, else `none`. */
  tier: string;
  model: string;
  /** `success`, or the error type the client received. */
  outcome: string;
  latencyMs: number;
  upstreamMs: number;
  /** Our own share of the latency: `latencyMs - upstreamMs`, never negative. */
  overheadMs: number;
  costUsd: number;
  cacheHit: boolean | undefined;
  fallback: boolean;
  repaired: boolean;
  hasContract: boolean;
  /** See `RecordRequestInput.capLoweredByClient`; absent means false. */
  capLoweredByClient?: boolean;
  /** See `RecordRequestInput.callerSchema`; absent means false. */
  callerSchema?: boolean;
  attempts: readonly AttemptRecord[];
}

export type ValidationStatus = 'valid' | 'invalid' | 'repaired';

/** One judged answer of a contract request, for `ai.schema.validation_result`. */
export interface ValidationFact {
  status: ValidationStatus;
  tier: string;
  model: string;
}

/** One attempt made after an earlier one, with the outcome that caused it. */
export interface RetryFact {
  reason: AttemptOutcome;
  tier: string;
  model: string;
}

/** Token counts of one attempt by kind; `reasoning` is part of `output`. */
export interface TokenFact {
  kind: 'input' | 'cached_input' | 'cache_write' | 'output' | 'reasoning';
  count: number;
}

// Outcomes that mean the answer came back but did not meet the contract.
const INVALID_OUTCOMES: ReadonlySet<AttemptOutcome> = new Set([
  'schema_invalid',
  'invalid_json',
  'truncated',
]);

/** Reduces what `recordRequest` was given to `RequestFacts`. */
export function requestFacts(input: RecordRequestInput): RequestFacts {
  const { job, result } = input;
  const last = result.attempts[result.attempts.length - 1];
  const served = result.ok ? result.deployment : last;
  const upstreamMs = input.upstreamMs ?? upstreamWaitMs(result.attempts);
  return {
    requestId: job.requestId,
    taskType: job.taskType,
    endpoint: input.endpoint ?? 'route',
    tier: served?.tier ?? 'none',
    model: served?.model ?? 'none',
    outcome: routeOutcome(result),
    latencyMs: input.latencyMs,
    upstreamMs,
    overheadMs: Math.max(0, input.latencyMs - upstreamMs),
    costUsd: result.costUsd,
    cacheHit: input.cacheHit,
    fallback: input.fallback ?? (result.ok ? result.fallback : false),
    repaired: result.ok ? result.repaired : false,
    hasContract: job.contract !== undefined,
    capLoweredByClient: input.capLoweredByClient ?? false,
    callerSchema: input.callerSchema ?? false,
    attempts: result.attempts,
  };
}

/** Whether an attempt was really sent (a cost-cap skip never was). */
export function wasMade(attempt: AttemptRecord): boolean {
  return attempt.outcome !== 'skipped_cost_cap';
}

/** The sum of the latencies of the attempts that were sent. */
export function upstreamWaitMs(attempts: readonly AttemptRecord[]): number {
  let totalMs = 0;
  for (const attempt of attempts) if (wasMade(attempt)) totalMs += attempt.latencyMs;
  return totalMs;
}

/**
 * The validation verdict of each answer a contract request got. Only the
 * final attempt of a success can be valid, so it alone can be `repaired`;
 * transport failures and refusals are no verdict on the schema and count
 * for nothing here.
 */
export function validationFacts(facts: RequestFacts): ValidationFact[] {
  if (!facts.hasContract) return [];

  const verdicts: ValidationFact[] = [];
  for (const attempt of facts.attempts) {
    const { tier, model } = attempt;
    if (attempt.outcome === 'success') {
      verdicts.push({ status: facts.repaired ? 'repaired' : 'valid', tier, model });
    } else if (INVALID_OUTCOMES.has(attempt.outcome)) {
      verdicts.push({ status: 'invalid', tier, model });
    }
  }
  return verdicts;
}

/** Every attempt sent after the first, labelled with the previous one's outcome. */
export function retryFacts(facts: RequestFacts): RetryFact[] {
  const made = facts.attempts.filter(wasMade);
  const retries: RetryFact[] = [];
  for (let i = 1; i < made.length; i++) {
    const attempt = made[i]!;
    retries.push({ reason: made[i - 1]!.outcome, tier: attempt.tier, model: attempt.model });
  }
  return retries;
}

/** The tokens of one attempt by kind, leaving out kinds it used none of. */
export function tokenFacts(attempt: AttemptRecord): TokenFact[] {
  const usage = attempt.usage;
  if (!usage) return [];

  const all: TokenFact[] = [
    { kind: 'input', count: usage.inputTokens },
    { kind: 'cached_input', count: usage.cachedInputTokens },
    { kind: 'cache_write', count: usage.cacheWriteTokens },
    { kind: 'output', count: usage.outputTokens },
    { kind: 'reasoning', count: usage.reasoningTokens },
  ];
  return all.filter((fact) => fact.count > 0);
}

/** Receives every finished request; must not throw (it runs on the request path). */
export interface RequestObserver {
  observe(facts: RequestFacts): void;
}
