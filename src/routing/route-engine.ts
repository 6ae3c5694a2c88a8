import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import type { ValidationIssue } from '../contracts/compile-schema.js';
import { estimateMessageTokens } from '../cost/estimate-tokens.js';
import { roundUsd } from '../cost/price-table.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Completion, Failure, ProviderClient } from '../providers/types.js';
import { fullJitterDelayMs } from '../resilience/backoff.js';
import { attemptRequest, priceCompletion, worstAttemptCostUsd } from './attempt-request.js';
import { linkedTimeout } from '../resilience/linked-timeout.js';
import { parseRetryHintMs } from '../resilience/retry-hint.js';
import type { Clock } from '../util/clock.js';
import { attemptRecord, type AttemptOutcome } from './attempt.js';
import { completeAttempt, type AttemptRun, type InterruptedAttempt } from './attempt-runner.js';
import { openGate, type DeploymentGate } from './deployment-gate.js';
import {
  judgeCompletion,
  judgementMessage,
  plainJudgement,
  type Judgement,
} from './judge-completion.js';
import { clientGone, deadlinePassed, giveUpError, upstreamError } from './route-errors.js';
import {
  activateFallback,
  createWalk,
  pickDeployment,
  type JobContext,
  type Walk,
} from './walk.js';
import type { RouteFailure, RouteJob, RouteResult } from './route-types.js';

export type {
  AttemptObserver,
  RouteFailure,
  RouteJob,
  RouteResult,
  RouteSuccess,
} from './route-types.js';

export interface RouteEngineOptions {
  config: GatewayConfig;
  providers: Map<string, ProviderClient>;
  clock: Clock;
  gate?: DeploymentGate;
}

const MAX_ATTEMPTS = 12;
const OUTPUT_EXCERPT_CHARS = 2000;

/**
 * The request path: pick a deployment, check the cost cap, make the attempt,
 * judge it, and decide what comes next (done, retry, re-ask, give up). Every
 * attempt's outcome is kept for the envelope and the audit log.
 */
export class RouteEngine {
  readonly #config: GatewayConfig;
  readonly #providers: Map<string, ProviderClient>;
  readonly #clock: Clock;
  readonly #gate: DeploymentGate;

  constructor(options: RouteEngineOptions) {
    this.#config = options.config;
    this.#providers = options.providers;
    this.#clock = options.clock;
    this.#gate = options.gate ?? openGate;
  }

  async route(job: RouteJob): Promise<RouteResult> {
    // One signal for the client's disconnect and the request's deadline.
    const deadline = linkedTimeout(
      job.signal,
      this.#config.deadlineMs,
      'The request deadline passed',
    );
    const context: JobContext = Object.assign({}, job, {
      deadlineAtMs: this.#clock.now() + this.#config.deadlineMs,
      deadlineSignal: deadline.signal,
    });
    const walk = createWalk({
      config: this.#config,
      job: context,
      estimatedTokens: estimateMessageTokens(job.messages),
    });
    try {
      while (walk.attempts.length < MAX_ATTEMPTS) {
        const step = await this.#step(walk);
        if (step) return step;
      }
      return this.#giveUp(walk);
    } finally {
      deadline.dispose();
    }
  }

  /** One pass of the loop; a result ends the request, undefined goes on. */
  async #step(walk: Walk): Promise<RouteResult | undefined> {
    if (walk.job.signal.aborted) return this.#fail(walk, clientGone());
    const deployment = pickDeployment(this.#config, walk);
    if (!deployment) return this.#giveUp(walk);

    const provider = this.#providers.get(deployment.provider);
    if (!provider) throw new Error(`no client for provider ${deployment.provider}`);
    if (!this.#withinCap(walk, deployment)) return undefined;

    const admission = await this.#gate.admit(deployment, {
      estimatedTokens: walk.estimatedTokens + walk.job.maxTokens,
      signal: walk.job.deadlineSignal,
    });
    if (!admission.ok) {
      walk.excluded.add(deployment.id);
      const { reason, retryAtMs } = admission;
      walk.refusals.set(
        deployment.id,
        retryAtMs === undefined ? { reason } : { reason, retryAtMs },
      );
      return undefined;
    }
    walk.tried.add(deployment.id);
    const observer = walk.job.attemptObserver;
    observer?.attemptStarted(deployment.id);
    let result: AttemptRun;
    try {
      const run = walk.job.runAttempt ?? completeAttempt;
      // A streamed attempt holds its slot until its stream has ended.
      result = await run({
        provider,
        request: attemptRequest(this.#config, walk, deployment),
        deployment,
      });
    } finally {
      observer?.attemptEnded(deployment.id);
      admission.release();
    }
    if (result.kind === 'failure') return this.#afterFailure(walk, { deployment, failure: result });
    if (result.kind === 'interrupted') {
      return this.#afterInterrupted(walk, { deployment, interrupted: result });
    }
    return this.#afterCompletion(walk, { deployment, completion: result });
  }

  /**
   * The worst this attempt can cost must fit in what is left of the cap;
   * otherwise the attempt is not made and the deployment is passed over.
   */
  #withinCap(walk: Walk, deployment: DeploymentConfig): boolean {
    const worstUsd = worstAttemptCostUsd(this.#config, {
      deployment,
      estimatedTokens: walk.estimatedTokens,
      maxTokens: walk.job.maxTokens,
    });
    if (walk.spentUsd + worstUsd <= walk.job.maxCostUsd) return true;
    walk.costCapHit = true;
    walk.excluded.add(deployment.id);
    walk.attempts.push(
      attemptRecord(deployment, {
        outcome: 'skipped_cost_cap',
        latencyMs: 0,
        costUsd: 0,
        costEstimated: false,
        usage: null,
        error:
          `worst case $${worstUsd} would take the request past its cap of ` +
          `$${walk.job.maxCostUsd} ($${roundUsd(walk.spentUsd)} spent)`,
      }),
    );
    return false;
  }

  async #afterCompletion(
    walk: Walk,
    options: { deployment: DeploymentConfig; completion: Completion },
  ): Promise<RouteResult | undefined> {
    const { deployment, completion } = options;
    const { costUsd, costEstimated } = priceCompletion(this.#config, {
      deployment,
      completion,
      estimatedTokens: walk.estimatedTokens,
      maxTokens: walk.job.maxTokens,
    });
    walk.spentUsd = roundUsd(walk.spentUsd + costUsd);
    const judgement: Judgement = walk.job.contract
      ? judgeCompletion(completion, walk.job.contract)
      : plainJudgement(completion);
    const outcome: AttemptOutcome = judgement.kind === 'valid' ? 'success' : judgement.kind;
    walk.attempts.push(
      attemptRecord(deployment, {
        outcome,
        latencyMs: completion.latencyMs,
        costUsd,
        costEstimated,
        usage: completion.usage,
        ...(judgement.kind === 'valid' ? {} : { error: judgementMessage(judgement) }),
      }),
    );
    // A model that answers, even wrongly, is a healthy deployment.
    await this.#gate.record(deployment, {
      outcome,
      countsAgainstDeployment: false,
      headers: completion.headers,
    });

    const refusedAnswer = judgement.kind === 'refusal' && walk.job.refusalIsAnswer === true;
    if (judgement.kind === 'valid' || refusedAnswer) {
      return {
        ok: true,
        deployment,
        payload: judgement.kind === 'valid' ? judgement.payload : undefined,
        text: completion.text,
        repaired: judgement.kind === 'valid' && judgement.repaired,
        ...(judgement.kind === 'refusal' ? { refusal: judgement.message } : {}),
        finishReason: completion.finishReason,
        usage: completion.usage,
        attempts: walk.attempts,
        costUsd: walk.spentUsd,
        fallback: walk.fallbackActive,
      };
    }
    if (judgement.kind === 'refusal') {
      return this.#fail(walk, new GatewayError('refusal', judgement.message));
    }
    return this.#reask(walk, { deployment, completion, judgement });
  }

  /**
   * One more chance for output that did not validate: the next heavier tier
   * (or the same one at the top) sees the errors and its earlier answer.
   */
  #reask(
    walk: Walk,
    options: { deployment: DeploymentConfig; completion: Completion; judgement: Judgement },
  ): RouteResult | undefined {
    const { completion, judgement } = options;
    const issues: ValidationIssue[] = judgement.kind === 'schema_invalid' ? judgement.issues : [];
    walk.lastError = new GatewayError(
      'schema_violation',
      `output did not satisfy the contract: ${judgementMessage(judgement)}`,
      {
        details: {
          validation_errors: issues,
          last_output: completion.text.slice(0, OUTPUT_EXCERPT_CHARS),
          last_output_truncated: completion.text.length > OUTPUT_EXCERPT_CHARS,
        },
      },
    );
    if (walk.reaskUsed) return this.#fail(walk, walk.lastError);
    walk.reaskUsed = true;
    walk.tierIndex = Math.min(walk.tierIndex + 1, walk.tiers.length - 1);
    walk.tried.clear();
    walk.messages = [
      ...walk.job.messages,
      { role: 'assistant', content: completion.text },
      {
        role: 'user',
        content:
          `Your previous answer was rejected: ${judgementMessage(judgement)}. ` +
          'Reply again with only a JSON value that satisfies the schema.',
      },
    ];
    walk.estimatedTokens = estimateMessageTokens(walk.messages);
    return undefined;
  }

  async #afterFailure(
    walk: Walk,
    options: { deployment: DeploymentConfig; failure: Failure },
  ): Promise<RouteResult | undefined> {
    const { deployment, failure } = options;
    const retryAfterMs =
      failure.retryAfterMs ?? parseRetryHintMs(failure.headers, this.#clock.now());
    walk.attempts.push(
      attemptRecord(deployment, {
        outcome: failure.reason,
        latencyMs: failure.latencyMs,
        costUsd: 0,
        costEstimated: false,
        usage: null,
        error: failure.message,
        ...(failure.status !== undefined ? { status: failure.status } : {}),
      }),
    );
    await this.#gate.record(deployment, {
      outcome: failure.reason,
      countsAgainstDeployment: countsAgainstDeployment(failure),
      headers: failure.headers,
      retryAfterMs,
    });

    if (failure.reason === 'aborted') {
      if (walk.job.signal.aborted) return this.#fail(walk, clientGone());
      return this.#fail(walk, deadlinePassed(this.#config.deadlineMs));
    }
    walk.lastError = upstreamError(failure, retryAfterMs);
    if (failure.reason === 'context_length') {
      walk.excluded.add(deployment.id);
      walk.minContextWindow = Math.max(walk.minContextWindow, deployment.contextWindow ?? 0);
      return undefined;
    }
    if (!failure.retryable || failure.requestTooLarge || walk.fallbackActive) {
      // Self-hosted fallbacks are the last resort: each gets one try, no backoff.
      walk.excluded.add(deployment.id);
      return undefined;
    }
    return this.#retryAfterTransient(walk, { deployment, retryAfterMs });
  }

  /**
   * A stream that failed after the client had some of it: priced for what
   * was generated (estimated without usage), counted against the deployment
   * like any failure, and final, since the answer cannot be replaced.
   */
  async #afterInterrupted(
    walk: Walk,
    options: { deployment: DeploymentConfig; interrupted: InterruptedAttempt },
  ): Promise<RouteFailure> {
    const { deployment, interrupted } = options;
    const { failure, usage } = interrupted;
    const { costUsd, costEstimated } = priceCompletion(this.#config, {
      deployment,
      completion: interrupted,
      estimatedTokens: walk.estimatedTokens,
      maxTokens: walk.job.maxTokens,
    });
    walk.spentUsd = roundUsd(walk.spentUsd + costUsd);
    walk.attempts.push(
      attemptRecord(deployment, {
        outcome: failure.reason,
        latencyMs: failure.latencyMs,
        costUsd,
        costEstimated,
        usage,
        error: failure.message,
      }),
    );
    await this.#gate.record(deployment, {
      outcome: failure.reason,
      countsAgainstDeployment: countsAgainstDeployment(failure),
      headers: failure.headers,
    });
    if (failure.reason !== 'aborted') return this.#fail(walk, upstreamError(failure, undefined));
    if (walk.job.signal.aborted) return this.#fail(walk, clientGone());
    return this.#fail(walk, deadlinePassed(this.#config.deadlineMs));
  }

  /**
   * A transient failure: back off with full jitter and move one tier heavier.
   * A retry hint is honoured when the next attempt goes to the same deployment
   * and the wait fits the deadline; past the deadline it is not slept at all,
   * and the deployment is passed over.
   */
  async #retryAfterTransient(
    walk: Walk,
    options: { deployment: DeploymentConfig; retryAfterMs: number | undefined },
  ): Promise<RouteResult | undefined> {
    const { deployment, retryAfterMs } = options;
    if (walk.retriesLeft === 0) {
      // Out of cloud retries: the fallback tier, if any, serves at once.
      return activateFallback(walk) ? undefined : this.#giveUp(walk);
    }
    const retryNumber = this.#config.retry.maxRetries - walk.retriesLeft;
    walk.retriesLeft--;
    walk.tierIndex = Math.min(walk.tierIndex + 1, walk.tiers.length - 1);

    const remainingMs = walk.job.deadlineAtMs - this.#clock.now();
    if (retryAfterMs !== undefined && retryAfterMs > remainingMs) {
      walk.excluded.add(deployment.id);
      return undefined;
    }
    let delayMs = fullJitterDelayMs({
      attempt: retryNumber,
      baseMs: this.#config.retry.baseDelayMs,
      capMs: this.#config.retry.maxDelayMs,
      random: this.#clock.random,
    });
    const next = pickDeployment(this.#config, Object.assign({}, walk, { refusals: new Map() }));
    if (retryAfterMs !== undefined && next?.id === deployment.id) {
      delayMs = Math.max(delayMs, retryAfterMs);
    }
    if (delayMs >= remainingMs) return this.#giveUp(walk);
    try {
      await this.#clock.sleep(delayMs, walk.job.deadlineSignal);
    } catch {
      if (walk.job.signal.aborted) return this.#fail(walk, clientGone());
      return this.#fail(walk, deadlinePassed(this.#config.deadlineMs));
    }
    return undefined;
  }

  /** No deployment is left to try: fail with why, most specific reason first. */
  #giveUp(walk: Walk): RouteFailure {
    return this.#fail(walk, giveUpError(walk, this.#config, this.#clock.now()));
  }

  #fail(walk: Walk, error: GatewayError): RouteFailure {
    return { ok: false, error, attempts: walk.attempts, costUsd: walk.spentUsd };
  }
}

/** The request's own faults (and its abort) say nothing about the deployment's health. */
function countsAgainstDeployment(failure: Failure): boolean {
  return !['context_length', 'invalid_request', 'aborted'].includes(failure.reason);
}
