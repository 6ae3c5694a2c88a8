import type { RequestFacts } from '../telemetry/request-facts.js';
import { wasMade } from '../telemetry/request-facts.js';
import { LatencyWindow } from './latency-window.js';
import type { PolicyConfig } from './policy-config.js';
import type { PolicyChange } from './policy-change.js';

/** One tier as `GET /admin/policies` shows it. */
export interface TierLatencyStatus {
  tier: string;
  thresholdMs: number;
  quantileMs: number | null;
  samples: number;
  degraded: boolean;
  /** Epoch ms the downgrade began, while degraded. */
  sinceMs?: number;
}

/**
 * Policy (a): when a tier's p95 attempt latency over the window passes its
 * threshold, task types that allow it start one tier cheaper until the p95
 * falls to `recoveryRatio` of the threshold (the gap stops it flapping) or
 * the window holds too few samples to tell. Escalation on failure still
 * walks up from the cheaper tier, so a hard request can still reach the
 * slow one. The cheapest tier has nowhere cheaper to go and is left alone.
 */
export class LatencyDowngradePolicy {
  readonly #config: PolicyConfig['latency'];
  readonly #tierOrder: readonly string[];
  readonly #windows = new Map<string, LatencyWindow>();
  readonly #degradedSince = new Map<string, number>();
  readonly #allowed: ReadonlySet<string>;

  constructor(options: { config: PolicyConfig['latency']; tierOrder: readonly string[] }) {
    this.#config = options.config;
    this.#tierOrder = options.tierOrder;
    this.#allowed = new Set(options.config.taskTypes);
  }

  observe(facts: RequestFacts, nowMs: number): PolicyChange[] {
    if (!this.#config.enabled) return [];

    const touched = new Set<string>();
    for (const attempt of facts.attempts) {
      if (!wasMade(attempt)) continue;
      this.#window(attempt.tier).record(attempt.latencyMs, nowMs);
      touched.add(attempt.tier);
    }
    return [...touched].flatMap((tier) => this.#evaluate(tier, nowMs));
  }

  /** The tier a task type should start on, and any change re-checking it caused. */
  adjust(input: { taskType: string; tier: string; nowMs: number }) {
    const changes = this.#evaluate(input.tier, input.nowMs);
    const index = this.#tierOrder.indexOf(input.tier);
    const degraded = this.#degradedSince.has(input.tier);
    const tier =
      degraded && index > 0 && this.#allowed.has(input.taskType)
        ? this.#tierOrder[index - 1]!
        : input.tier;
    return { tier, changes };
  }

  /** Ends a downgrade now (an operator's call) and forgets the tier's samples. */
  clear(tier: string, nowMs: number): PolicyChange[] {
    if (!this.#degradedSince.has(tier)) return [];
    this.#windows.get(tier)?.clear();
    return [this.#recover(tier, { nowMs, reason: 'An operator resumed the tier.' })];
  }

  status(nowMs: number): TierLatencyStatus[] {
    return [...this.#windows.keys()].map((tier) => {
      const window = this.#windows.get(tier)!;
      const sinceMs = this.#degradedSince.get(tier);
      return {
        tier,
        thresholdMs: this.#threshold(tier),
        quantileMs: window.quantile(this.#config.quantile, nowMs) ?? null,
        samples: window.count(nowMs),
        degraded: sinceMs !== undefined,
        ...(sinceMs !== undefined ? { sinceMs } : {}),
      };
    });
  }

  #evaluate(tier: string, nowMs: number): PolicyChange[] {
    const window = this.#windows.get(tier);
    if (!window || !this.#config.enabled) return [];

    const samples = window.count(nowMs);
    const p = window.quantile(this.#config.quantile, nowMs);
    const thresholdMs = this.#threshold(tier);
    const degraded = this.#degradedSince.has(tier);
    const enough = samples >= this.#config.minSamples;
    // With no task type to move, or no cheaper tier to move it to, a slow
    // tier changes nothing: it is shown in the status, not announced.
    const actionable = this.#config.taskTypes.length > 0 && this.#tierOrder.indexOf(tier) > 0;
    if (!degraded && actionable && enough && p !== undefined && p > thresholdMs) {
      this.#degradedSince.set(tier, nowMs);
      return [this.#change({ tier, nowMs, samples, p, thresholdMs, action: 'activated' })];
    }
    if (degraded && (!enough || p === undefined || p <= thresholdMs * this.#config.recoveryRatio)) {
      const reason = enough
        ? `p${this.#percent()} is ${round(p ?? 0)} ms, under ${round(thresholdMs * this.#config.recoveryRatio)} ms.`
        : `Only ${samples} samples are left in the window; routing as configured to measure again.`;
      return [this.#recover(tier, { nowMs, reason })];
    }
    return [];
  }

  #recover(tier: string, input: { nowMs: number; reason: string }): PolicyChange {
    this.#degradedSince.delete(tier);
    return {
      policy: 'latency_downgrade',
      action: 'cleared',
      subject: tier,
      reason: input.reason,
      atMs: input.nowMs,
      details: { tier },
    };
  }

  #change(input: {
    tier: string;
    nowMs: number;
    samples: number;
    p: number;
    thresholdMs: number;
    action: 'activated';
  }): PolicyChange {
    const { tier, samples, p, thresholdMs } = input;
    const minutes = round(this.#config.windowMs / 60_000);
    const cheaper = this.#tierOrder[this.#tierOrder.indexOf(tier) - 1] ?? 'none';
    return {
      policy: 'latency_downgrade',
      action: input.action,
      subject: tier,
      reason:
        `p${this.#percent()} latency is ${round(p)} ms over the last ${minutes} min ` +
        `(${samples} attempts), above ${thresholdMs} ms; ` +
        `${this.#config.taskTypes.join(', ') || 'no task types'} now start on ${cheaper}.`,
      atMs: input.nowMs,
      details: { tier, quantile_ms: round(p), threshold_ms: thresholdMs, samples, cheaper },
    };
  }

  #window(tier: string): LatencyWindow {
    let window = this.#windows.get(tier);
    if (!window) {
      window = new LatencyWindow({ windowMs: this.#config.windowMs });
      this.#windows.set(tier, window);
    }
    return window;
  }

  #threshold(tier: string): number {
    return this.#config.tierThresholdsMs[tier] ?? this.#config.thresholdMs;
  }

  #percent(): string {
    return String(Math.round(this.#config.quantile * 100));
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
