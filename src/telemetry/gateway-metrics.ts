import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import type { BreakerState } from '../resilience/breaker-snapshot.js';
import { LATENCY_BUCKETS_MS, METRIC_NAMES, OVERHEAD_BUCKETS_MS } from './metric-names.js';
import { summedCounter, type AddOnlyCounter } from './summed-counter.js';
import {
  retryFacts,
  tokenFacts,
  validationFacts,
  wasMade,
  type RequestFacts,
} from './request-facts.js';

/** One breaker as the state gauge shows it. */
export interface BreakerStateView {
  deploymentId: string;
  state: BreakerState;
}

/** Where the breaker gauge reads from, e.g. `() => registry.list(clock.now())`. */
export type BreakerStateSource = () =>
  Promise<readonly BreakerStateView[]> | readonly BreakerStateView[];

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'half_open', 'open'];

/**
 * The gateway's instruments on one OpenTelemetry meter. Every series carries
 * `region`; request series also carry `task_type`, `model` and `tier`. Label
 * values are bounded by configuration (task types, models, tiers, outcome
 * codes), never by request content, so cardinality stays fixed.
 */
export class GatewayMetrics {
  readonly #region: string;
  readonly #latency: Histogram;
  readonly #overhead: Histogram;
  readonly #cost: AddOnlyCounter;
  readonly #validation: AddOnlyCounter;
  readonly #fallbacks: AddOnlyCounter;
  readonly #retries: AddOnlyCounter;
  readonly #cache: AddOnlyCounter;
  readonly #tokens: AddOnlyCounter;
  readonly #budget: Counter;
  readonly #costCap: AddOnlyCounter;
  readonly #policies: Counter;
  readonly #refusals: Counter;
  readonly #transitions: Counter;
  #breakers: BreakerStateSource | undefined;

  constructor(options: { meter: Meter; region: string }) {
    const { meter } = options;
    this.#region = options.region;
    this.#latency = meter.createHistogram(METRIC_NAMES.requestLatency, {
      description: 'Time from a request arriving to its answer.',
      unit: 'ms',
      advice: { explicitBucketBoundaries: [...LATENCY_BUCKETS_MS] },
    });
    this.#overhead = meter.createHistogram(METRIC_NAMES.gatewayOverhead, {
      description: "The gateway's own time per request: latency less upstream waits.",
      unit: 'ms',
      advice: { explicitBucketBoundaries: [...OVERHEAD_BUCKETS_MS] },
    });
    const counter = (name: string, description: string, unit?: string) =>
      meter.createCounter(name, { description, ...(unit ? { unit } : {}) });
    // Added to on every request: summed here, read by the exporter on collection.
    const summed = (name: string, description: string, unit?: string) =>
      summedCounter(meter, name, { description, ...(unit ? { unit } : {}) });
    this.#cost = summed(METRIC_NAMES.requestCost, 'Spend on upstream attempts.', 'USD');
    this.#validation = summed(
      METRIC_NAMES.validationResult,
      'Answers checked against an output contract, by status valid, invalid or repaired.',
    );
    this.#fallbacks = summed(METRIC_NAMES.fallbacks, 'Requests a fallback deployment served.');
    this.#retries = summed(METRIC_NAMES.retries, 'Attempts after the first, by the reason.');
    this.#cache = summed(METRIC_NAMES.cacheLookups, 'Response cache lookups by result.');
    this.#tokens = summed(METRIC_NAMES.tokens, 'Tokens billed, by kind.', '{token}');
    this.#budget = counter(METRIC_NAMES.budgetRejections, 'Requests refused by a budget.');
    this.#costCap = summed(METRIC_NAMES.costCapBreaches, 'Requests refused by the cost cap.');
    this.#policies = counter(METRIC_NAMES.policyChanges, 'Self-steering policy changes.');
    this.#refusals = counter(
      METRIC_NAMES.deploymentRefusals,
      'Attempts a deployment gate refused, by reason.',
    );
    this.#transitions = counter(METRIC_NAMES.breakerTransitions, 'Circuit breaker changes.');
    meter
      .createObservableGauge(METRIC_NAMES.breakerState, {
        description: 'Circuit breaker state per deployment: 1 for the current state, else 0.',
      })
      .addCallback((result) => this.#observeBreakers(result));
  }

  /** Sets where the breaker gauge reads from; until then it reports nothing. */
  watchBreakers(source: BreakerStateSource): void {
    this.#breakers = source;
  }

  /** Records every metric one finished request contributes to. */
  record(facts: RequestFacts): void {
    const region = this.#region;
    const request = { task_type: facts.taskType, model: facts.model, tier: facts.tier, region };
    this.#latency.record(
      facts.latencyMs,
      Object.assign({}, request, { outcome: facts.outcome, endpoint: facts.endpoint }),
    );
    this.#overhead.record(facts.overheadMs, { endpoint: facts.endpoint, region });
    this.#recordAttempts(facts);
    for (const verdict of validationFacts(facts)) {
      const { status, tier, model } = verdict;
      this.#validation.add(1, { status, task_type: facts.taskType, model, tier, region });
    }
    for (const retry of retryFacts(facts)) {
      const { reason, tier, model } = retry;
      this.#retries.add(1, { reason, task_type: facts.taskType, model, tier, region });
    }
    if (facts.fallback) this.#fallbacks.add(1, request);
    if (facts.cacheHit !== undefined) {
      const result = facts.cacheHit ? 'hit' : 'miss';
      this.#cache.add(1, { result, task_type: facts.taskType, region });
    }
    if (facts.outcome === 'cost_cap_exceeded') this.#costCap.add(1, request);
  }

  /** A request a budget refused before routing (see the budgets of issue 4). */
  recordBudgetRejection(input: { taskType: string; reason: string }): void {
    const attributes = { task_type: input.taskType, reason: input.reason, region: this.#region };
    this.#budget.add(1, attributes);
  }

  recordPolicyChange(input: { policy: string; action: string }): void {
    this.#policies.add(1, { policy: input.policy, action: input.action, region: this.#region });
  }

  recordRefusal(input: { deploymentId: string; reason: string }): void {
    const attributes = { deployment: input.deploymentId, reason: input.reason };
    this.#refusals.add(1, Object.assign({}, attributes, { region: this.#region }));
  }

  recordBreakerTransition(input: { deploymentId: string; from: string; to: string }): void {
    const { deploymentId, from, to } = input;
    this.#transitions.add(1, { deployment: deploymentId, from, to, region: this.#region });
  }

  #recordAttempts(facts: RequestFacts): void {
    const region = this.#region;
    for (const attempt of facts.attempts) {
      if (!wasMade(attempt)) continue;
      const labels: Attributes = {
        task_type: facts.taskType,
        model: attempt.model,
        tier: attempt.tier,
        region,
      };
      this.#cost.add(attempt.costUsd, labels);
      for (const { kind, count } of tokenFacts(attempt))
        this.#tokens.add(count, Object.assign({}, labels, { kind }));
    }
  }

  async #observeBreakers(result: ObservableResult): Promise<void> {
    if (!this.#breakers) return;

    const breakers = await this.#breakers();
    for (const breaker of breakers) {
      for (const state of BREAKER_STATES) {
        const value = breaker.state === state ? 1 : 0;
        result.observe(value, { deployment: breaker.deploymentId, state, region: this.#region });
      }
    }
  }
}
