import type { ChatMessage } from '../providers/types.js';
import type { AttemptRecord } from '../routing/attempt.js';
import type { RouteJob, RouteResult } from '../routing/route-engine.js';
import { routeOutcome } from '../routing/route-outcome.js';

/** Tokens of one attempt (or a request's sum of them), by kind, as billed. */
export interface TokenCounts {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** All generated tokens, reasoning included. */
  outputTokens: number;
  /** The part of `outputTokens` spent on hidden reasoning; never added twice. */
  reasoningTokens: number;
}

/** One attempt as the audit log keeps it: what was tried, how it ended, what it cost. */
export interface AuditAttempt {
  tier: string;
  model: string;
  deploymentId: string;
  /** An `AttemptOutcome`: `success`, `schema_invalid`, `timeout`, `skipped_cost_cap`, … */
  outcome: string;
  latencyMs: number;
  costUsd: number;
  /** True when the provider sent no usage and `costUsd` is an estimate. */
  costEstimated: boolean;
  /** Null when the provider reported none (failures, estimated costs). */
  tokens: TokenCounts | null;
  /** The upstream HTTP status of a failed attempt, when it answered. */
  upstreamStatus: number | null;
}

/**
 * One served (or refused) request, as written to the audit log. It is the
 * unit of exactly-once delivery: `requestId` is the idempotency key of every
 * insert. Prompt and output text are absent unless `includeText` was set.
 */
export interface AuditRecord {
  requestId: string;
  /** When the request arrived, ms since the epoch (a timestamptz in PostgreSQL). */
  timeMs: number;
  /** The client key's id (never the key itself); null without client auth. */
  apiKeyId: string | null;
  /** Null when the request failed before its task type was read. */
  taskType: string | null;
  /** The tier and model that answered, else those of the last attempt; null with none. */
  tier: string | null;
  model: string | null;
  /** `/v1/route`, `/v1/chat/completions`, … */
  endpoint: string;
  statusCode: number;
  attempts: AuditAttempt[];
  latencyMs: number;
  /** The sum over attempts; zero for a cache hit. */
  costUsd: number;
  /** The sum of the attempts' tokens; kinds no attempt reported count as zero. */
  tokens: TokenCounts;
  /** Whether the answer passed its contract; null without a contract or a verdict. */
  schemaValid: boolean | null;
  repaired: boolean;
  cacheHit: boolean;
  /**
   * The fallback tier (self-hosted servers) answered because no cloud
   * deployment could, as the envelope's `fallback` says.
   */
  fallback: boolean;
  /** The error `type` of a failed request (`upstream_error`, …); null on success. */
  errorType: string | null;
  metadata?: Record<string, unknown>;
  /** The request's messages; only with `includeText`. */
  prompt?: ChatMessage[];
  /** The answer's text; only with `includeText`. */
  output?: string;
}

export interface ToAuditRecordOptions {
  requestId: string;
  startedMs: number;
  latencyMs: number;
  /** Absent when the request failed before its body was understood. */
  job?: Pick<RouteJob, 'taskType' | 'contract'> & Partial<Pick<RouteJob, 'messages'>>;
  /** Absent when the request failed before routing (400, 404, 413, …). */
  result?: RouteResult;
  endpoint: string;
  status: number;
  apiKeyId?: string | null;
  /**
   * The answer came from the response cache. `result` is then the cached
   * result; its attempts were audited with the original request, so this
   * record carries no attempts and no cost.
   */
  cacheHit?: boolean;
  /** The error type when there is no `result` to take it from. */
  errorType?: string;
  metadata?: Record<string, unknown>;
  /** Copy prompt and output text into the record (`audit.include_text`). Default false. */
  includeText?: boolean;
}

/**
 * Builds the audit record of one request from what the server holds when it
 * answers. Pure: the caller enqueues the record on an `AuditWriter`.
 */
export function toAuditRecord(options: ToAuditRecordOptions): AuditRecord {
  const { result, job } = options;
  const cacheHit = options.cacheHit ?? false;
  const attempts = cacheHit ? [] : (result?.attempts ?? []).map(toAuditAttempt);
  const last = result?.attempts[result.attempts.length - 1];
  const served = result?.ok ? result.deployment : last;
  const outcome = result ? routeOutcome(result) : undefined;
  const record: AuditRecord = {
    requestId: options.requestId,
    timeMs: options.startedMs,
    apiKeyId: options.apiKeyId ?? null,
    taskType: job?.taskType ?? null,
    tier: served?.tier ?? null,
    model: served?.model ?? null,
    endpoint: options.endpoint,
    statusCode: options.status,
    attempts,
    latencyMs: options.latencyMs,
    costUsd: cacheHit ? 0 : (result?.costUsd ?? 0),
    tokens: sumTokens(attempts),
    schemaValid: schemaVerdict(options),
    repaired: result?.ok ? result.repaired : false,
    cacheHit,
    fallback: result?.ok === true && result.fallback && !cacheHit,
    errorType: outcome && outcome !== 'success' ? outcome : (options.errorType ?? null),
  };
  if (options.metadata) record.metadata = options.metadata;
  if (options.includeText) addText(record, options);
  return record;
}

function toAuditAttempt(attempt: AttemptRecord): AuditAttempt {
  const usage = attempt.usage;
  return {
    tier: attempt.tier,
    model: attempt.model,
    deploymentId: attempt.deploymentId,
    outcome: attempt.outcome,
    latencyMs: attempt.latencyMs,
    costUsd: attempt.costUsd,
    costEstimated: attempt.costEstimated,
    tokens: usage
      ? {
          inputTokens: usage.inputTokens,
          cachedInputTokens: usage.cachedInputTokens,
          cacheWriteTokens: usage.cacheWriteTokens,
          outputTokens: usage.outputTokens,
          reasoningTokens: usage.reasoningTokens,
        }
      : null,
    upstreamStatus: attempt.status ?? null,
  };
}

/** Zero of every kind; the start of a sum. */
export function zeroTokens(): TokenCounts {
  return {
    inputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
  };
}

/** The tokens of all attempts, kind by kind; attempts without usage add nothing. */
export function sumTokens(attempts: AuditAttempt[]): TokenCounts {
  const total = zeroTokens();
  for (const { tokens } of attempts) {
    if (!tokens) continue;
    total.inputTokens += tokens.inputTokens;
    total.cachedInputTokens += tokens.cachedInputTokens;
    total.cacheWriteTokens += tokens.cacheWriteTokens;
    total.outputTokens += tokens.outputTokens;
    total.reasoningTokens += tokens.reasoningTokens;
  }
  return total;
}

/**
 * True when a contract's answer was returned, false when the request ended
 * in a schema violation; null when there was no contract, or the request
 * failed for another reason before any answer could be judged final.
 */
function schemaVerdict(options: ToAuditRecordOptions): boolean | null {
  const { result, job } = options;
  if (!job?.contract || !result) return null;
  if (result.ok) return true;
  return result.error.type === 'schema_violation' ? false : null;
}

function addText(record: AuditRecord, options: ToAuditRecordOptions): void {
  if (options.job?.messages) record.prompt = options.job.messages;
  if (options.result?.ok) record.output = options.result.text;
}

/**
 * The record, or a copy whose metadata is replaced by a marker when it
 * cannot be written as JSON (a cycle, or nesting no serialiser can walk);
 * `onReplaced` hears why. One caller's odd metadata must never stop the batch
 * it is in, and with it the audit log. Everything else in a record is built
 * by the gateway from strings and numbers.
 */
export function withWritableMetadata(
  record: AuditRecord,
  onReplaced: (error: unknown) => void,
): AuditRecord {
  if (record.metadata === undefined) return record;
  try {
    JSON.stringify(record.metadata);
    return record;
  } catch (error) {
    onReplaced(error);
    return Object.assign({}, record, { metadata: { unserialisable: true } });
  }
}
