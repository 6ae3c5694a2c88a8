import type { RequestFacts } from '../telemetry/request-facts.js';
import type { PolicyConfig } from './policy-config.js';
import type { PolicyChange } from './policy-change.js';
import { RatioWindow } from './ratio-window.js';

/** Opens a deployment's breaker until `untilMs`, e.g. `BreakerRegistry.forceOpen`. */
export type OpenBreaker = (input: {
  deploymentId: string;
  untilMs: number;
  nowMs: number;
}) => Promise<void> | void;

/** One deployment as `GET /admin/policies` shows it. */
export interface DeploymentCostCapStatus {
  deploymentId: string;
  breaches: number;
  /** Set while the breaker this policy opened should still be open. */
  openUntilMs?: number;
}

/**
 * Policy (c): a deployment whose attempts the cost cap skipped `breaches`
 * times within the window has its breaker held open for `openMs`, so
 * requests stop being planned onto a deployment they cannot afford. Its
 * count starts again from zero after each opening.
 */
export class CostCapBreakerPolicy {
  readonly #config: PolicyConfig['costCap'];
  readonly #windows = new Map<string, RatioWindow>();
  readonly #openUntil = new Map<string, number>();

  readonly #exempt: (deploymentId: string) => boolean;

  constructor(options: {
    config: PolicyConfig['costCap'];
    /** Deployments never to open (the fallback tier: the last resort). */
    exempt?: (deploymentId: string) => boolean;
  }) {
    this.#config = options.config;
    this.#exempt = options.exempt ?? (() => false);
  }

  /** The changes this request causes; each names a breaker for the engine to open. */
  observe(facts: RequestFacts, nowMs: number): PolicyChange[] {
    if (!this.#config.enabled) return [];
    // A cap the client lowered itself says nothing about the deployment; counting
    // it would let any client open every breaker with a tiny max_cost_usd.
    if (facts.capLoweredByClient) return [];

    const changes: PolicyChange[] = [];
    for (const attempt of facts.attempts) {
      if (attempt.outcome !== 'skipped_cost_cap' || this.#exempt(attempt.deploymentId)) continue;
      const window = this.#window(attempt.deploymentId);
      window.record({ hit: true, nowMs });
      const { hits } = window.totals(nowMs);
      if (hits < this.#config.breaches) continue;

      window.clear();
      const untilMs = nowMs + this.#config.openMs;
      this.#openUntil.set(attempt.deploymentId, untilMs);
      changes.push(this.#opened({ deploymentId: attempt.deploymentId, hits, nowMs, untilMs }));
    }
    return changes;
  }

  status(nowMs: number): DeploymentCostCapStatus[] {
    return [...this.#windows.keys()].map((deploymentId) => {
      const untilMs = this.#openUntil.get(deploymentId);
      return {
        deploymentId,
        breaches: this.#windows.get(deploymentId)!.totals(nowMs).hits,
        ...(untilMs !== undefined && untilMs > nowMs ? { openUntilMs: untilMs } : {}),
      };
    });
  }

  #opened(input: { deploymentId: string; hits: number; nowMs: number; untilMs: number }) {
    const minutes = Math.round(this.#config.windowMs / 60_000);
    const openMinutes = Math.round(this.#config.openMs / 60_000);
    const change: PolicyChange = {
      policy: 'cost_cap_breaker',
      action: 'activated',
      subject: input.deploymentId,
      reason:
        `The cost cap ruled out ${input.hits} attempts on it in ${minutes} min; ` +
        `its breaker is held open for ${openMinutes} min.`,
      atMs: input.nowMs,
      details: {
        deployment: input.deploymentId,
        breaches: input.hits,
        open_until_ms: input.untilMs,
      },
    };
    return change;
  }

  #window(deploymentId: string): RatioWindow {
    let window = this.#windows.get(deploymentId);
    if (!window) {
      window = new RatioWindow({ windowMs: this.#config.windowMs });
      this.#windows.set(deploymentId, window);
    }
    return window;
  }
}
