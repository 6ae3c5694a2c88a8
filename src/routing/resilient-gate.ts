import type { DeploymentConfig } from '../config/config-types.js';
import type { BreakerRegistry } from '../resilience/breaker-registry.js';
import { Bulkhead } from '../resilience/bulkhead.js';
import { parseRateLimitHeaders } from '../resilience/rate-limit-headers.js';
import type { RateLimitTracker } from '../resilience/rate-limit-tracker.js';
import type { Clock } from '../util/clock.js';
import type { AttemptOutcome } from './attempt.js';
import type { Admission, DeploymentGate } from './deployment-gate.js';

export interface ResilientGateOptions {
  breakers: BreakerRegistry;
  rateLimits: RateLimitTracker;
  clock: Clock;
  /** In-flight cap per deployment and how long a request may queue for a slot. */
  concurrency: { maxInFlight: number; maxQueued: number; queueWaitMs: number };
  /** Routing to a model may be paused by a policy (e.g. its schema failure rate). */
  isPaused?: (deployment: DeploymentConfig) => boolean;
  /** Typed events for logs and metrics. */
  onEvent?: (event: GateEvent) => void;
}

export type GateEvent =
  | { type: 'refused'; deploymentId: string; reason: string }
  | { type: 'cooled'; deploymentId: string; untilMs: number };

/**
 * The policies between the engine and a deployment, applied in order of
 * cost: a pause, the rate-limit tracker (route around a deployment that
 * cannot take the request before it answers 429), the in-flight cap, and the
 * circuit breaker. What is refused here goes to the next deployment.
 */
export class ResilientGate implements DeploymentGate {
  readonly #options: ResilientGateOptions;
  readonly #bulkheads = new Map<string, Bulkhead>();

  constructor(options: ResilientGateOptions) {
    this.#options = options;
  }

  async admit(
    deployment: DeploymentConfig,
    context: { estimatedTokens: number; signal: AbortSignal },
  ): Promise<Admission> {
    const { breakers, rateLimits, clock } = this.#options;
    if (this.#options.isPaused?.(deployment)) return this.#refuse(deployment, 'paused_by_policy');

    const limit = rateLimits.canAdmit(deployment.id, {
      estimatedTokens: context.estimatedTokens,
      nowMs: clock.now(),
    });
    if (!limit.ok) return this.#refuse(deployment, `rate_limit_${limit.reason}`, limit.untilMs);

    const release = await this.#slot(deployment, context.signal);
    if (!release) return this.#refuse(deployment, 'overloaded');

    const breaker = await breakers.acquire(deployment.id, clock.now());
    if (!breaker.ok) {
      release();
      return this.#refuse(deployment, `breaker_${breaker.reason}`);
    }
    return { ok: true, release };
  }

  async record(
    deployment: DeploymentConfig,
    result: {
      outcome: AttemptOutcome;
      countsAgainstDeployment: boolean;
      headers: Record<string, string>;
      retryAfterMs?: number | undefined;
    },
  ): Promise<void> {
    const { breakers, rateLimits, clock } = this.#options;
    const nowMs = clock.now();
    const snapshot = parseRateLimitHeaders(result.headers, nowMs);
    if (snapshot) rateLimits.observe(deployment.id, snapshot);
    if (result.outcome === 'rate_limited' && result.retryAfterMs !== undefined) {
      // A 429's hint cools the deployment at least that long; a shorter later
      // hint never shortens a cool-down already set (the tracker sees to it).
      const untilMs = nowMs + result.retryAfterMs;
      rateLimits.coolDown(deployment.id, untilMs);
      this.#options.onEvent?.({ type: 'cooled', deploymentId: deployment.id, untilMs });
    }
    // A deployment that answered, even to say the request was wrong, is up.
    await breakers.record(
      deployment.id,
      result.countsAgainstDeployment ? 'failure' : 'success',
      nowMs,
    );
  }

  async #slot(deployment: DeploymentConfig, signal: AbortSignal) {
    const { maxInFlight, maxQueued, queueWaitMs } = this.#options.concurrency;
    if (maxInFlight <= 0) return () => {};
    let bulkhead = this.#bulkheads.get(deployment.id);
    if (!bulkhead) {
      bulkhead = new Bulkhead({
        maxConcurrent: maxInFlight,
        maxQueued,
        clock: this.#options.clock,
      });
      this.#bulkheads.set(deployment.id, bulkhead);
    }
    try {
      return await bulkhead.acquire({ signal, maxWaitMs: queueWaitMs });
    } catch {
      return undefined; // the request was aborted while it queued
    }
  }

  #refuse(deployment: DeploymentConfig, reason: string, retryAtMs?: number): Admission {
    this.#options.onEvent?.({ type: 'refused', deploymentId: deployment.id, reason });
    return retryAtMs === undefined ? { ok: false, reason } : { ok: false, reason, retryAtMs };
  }
}
