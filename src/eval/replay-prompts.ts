import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import type { CompiledContract } from '../contracts/compile-schema.js';
import { countMessageTokens, countTokens } from '../cost/count-tokens.js';
import { costOfUsage } from '../cost/price-table.js';
import type {
  AttemptResult,
  CompletionRequest,
  Failure,
  FailureReason,
  ProviderClient,
} from '../providers/types.js';
import { fullJitterDelayMs } from '../resilience/backoff.js';
import { parseRetryHintMs } from '../resilience/retry-hint.js';
import { describeIssues, judgeCompletion, type Judgement } from '../routing/judge-completion.js';
import type { Clock } from '../util/clock.js';
import type { EvalPrompt } from './prompt-set.js';

/** What one prompt got from one deployment, once judged against the contract. */
export type PromptOutcome =
  | {
      promptId: string;
      kind: 'valid';
      repaired: boolean;
      latencyMs: number;
      costUsd: number;
    }
  | {
      promptId: string;
      kind: Exclude<Judgement['kind'], 'valid'>;
      /** The first problem, for the report: an Ajv message, "cut off", the refusal. */
      detail: string;
      latencyMs: number;
      costUsd: number;
    }
  | {
      promptId: string;
      kind: 'upstream_error';
      reason: FailureReason;
      detail: string;
      status?: number;
      latencyMs: number;
      costUsd: 0;
    };

export interface ReplayOptions {
  config: GatewayConfig;
  deployment: DeploymentConfig;
  provider: ProviderClient;
  contract: CompiledContract;
  prompts: readonly EvalPrompt[];
  clock: Clock;
  /** Prompts in flight at once against this deployment. */
  concurrency: number;
}

/**
 * Sends every prompt once to one deployment, the way the gateway would ask
 * (native structured output, temperature 0, the configured `max_tokens`),
 * and judges each answer with the gateway's own `judgeCompletion`. There is
 * no escalation and no re-ask: the point is to see what this model does.
 * Transient upstream failures are retried on the same deployment with the
 * configured backoff, so a flaky minute does not read as contract drift.
 */
export async function replayPrompts(options: ReplayOptions): Promise<PromptOutcome[]> {
  const outcomes: PromptOutcome[] = new Array(options.prompts.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < options.prompts.length) {
      const index = next++;
      outcomes[index] = await replayOne(options, options.prompts[index]!);
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency, options.prompts.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return outcomes;
}

async function replayOne(options: ReplayOptions, prompt: EvalPrompt): Promise<PromptOutcome> {
  const { config, clock } = options;
  for (let retry = 0; ; retry++) {
    const result = await attempt(options, prompt);
    if (result.kind === 'completion') return judged(options, { prompt, completion: result });

    const hintMs = result.retryAfterMs ?? parseRetryHintMs(result.headers, clock.now());
    const backoffMs = fullJitterDelayMs({
      attempt: retry,
      baseMs: config.retry.baseDelayMs,
      capMs: config.retry.maxDelayMs,
      random: clock.random,
    });
    const waitMs = Math.max(backoffMs, hintMs ?? 0);
    // A hint longer than the longest backoff means "not soon": report it.
    const giveUp =
      !result.retryable || retry >= config.retry.maxRetries || waitMs > config.retry.maxDelayMs;
    if (giveUp) return upstreamError(prompt, result);
    await clock.sleep(waitMs);
  }
}

function attempt(options: ReplayOptions, prompt: EvalPrompt): Promise<AttemptResult> {
  const { config, deployment, contract } = options;
  const provider = config.providers[deployment.provider]!;
  const request: CompletionRequest = {
    model: deployment.model,
    messages: prompt.messages,
    structuredOutput: { name: contract.name, schema: contract.schema, strict: contract.strict },
    maxTokens: config.maxOutputTokens,
    temperature: 0,
    timeouts: provider.timeouts,
    signal: AbortSignal.timeout(config.deadlineMs),
  };
  return options.provider.complete(request);
}

function judged(
  options: ReplayOptions,
  answer: { prompt: EvalPrompt; completion: Extract<AttemptResult, { kind: 'completion' }> },
): PromptOutcome {
  const { prompt, completion } = answer;
  const price = options.config.prices.models[options.deployment.model]!;
  // Without usage, price our own token counts, as the gateway does.
  const usage = completion.usage ?? {
    inputTokens: countMessageTokens(prompt.messages),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: countTokens(completion.text),
    reasoningTokens: 0,
  };
  const base = {
    promptId: prompt.id,
    latencyMs: completion.latencyMs,
    costUsd: costOfUsage(usage, price),
  };
  const judgement = judgeCompletion(completion, options.contract);
  switch (judgement.kind) {
    case 'valid':
      return { ...base, kind: 'valid', repaired: judgement.repaired };
    case 'schema_invalid':
      return { ...base, kind: 'schema_invalid', detail: describeIssues(judgement.issues) };
    default:
      return { ...base, kind: judgement.kind, detail: judgement.message };
  }
}

function upstreamError(prompt: EvalPrompt, failure: Failure): PromptOutcome {
  return {
    promptId: prompt.id,
    kind: 'upstream_error',
    reason: failure.reason,
    detail: failure.message,
    ...(failure.status !== undefined ? { status: failure.status } : {}),
    latencyMs: failure.latencyMs,
    costUsd: 0,
  };
}
