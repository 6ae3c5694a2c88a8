import type { RateLimitSnapshot } from './rate-limit-headers.js';

export interface RateLimitTrackerOptions {
  /**
   * Refuse while remaining tokens are below this share of the limit (0–1),
   * keeping a reserve for requests whose size was underestimated. Default 0.
   */
  minRemainingFraction?: number;
}

/** What the tracker knows of one deployment; plain JSON. */
export interface DeploymentRateLimit {
  /** The latest value of each field the provider reported. */
  snapshot: RateLimitSnapshot;
  /** Epoch ms before which nothing is sent, from a 429's retry hint. */
  coolDownUntilMs?: number;
}

/** The whole tracker's state, as saved to and restored from a store. */
export interface RateLimitTrackerState {
  deployments: Record<string, DeploymentRateLimit>;
}

export type RateLimitRefusalReason =
  | 'cool_down'
  | 'requests_exhausted'
  | 'tokens_insufficient'
  | 'tokens_below_reserve'
  | 'output_tokens_exhausted';

export type RateLimitAdmission =
  { ok: true } | { ok: false; reason: RateLimitRefusalReason; untilMs: number };

export interface AdmitQuery {
  /** What the request is expected to use, prompt and output together. */
  estimatedTokens: number;
  nowMs: number;
}

interface Refusal {
  reason: RateLimitRefusalReason;
  untilMs: number;
}

/**
 * Refuses a deployment before the provider would, from the rate-limit headers
 * of its recent responses and from 429 cool-downs, so that the router can go
 * elsewhere instead of spending an attempt on a certain 429.
 *
 * A refusal lasts until the matching reset time; once that passes the old
 * figures say nothing and requests are admitted again. A budget with no known
 * reset time never refuses, since nothing would ever lift the refusal.
 *
 * The tracker does not reserve tokens for requests it admits: concurrent
 * requests admitted on the same figures can together overshoot the limit, and
 * the provider's 429 (fed to `coolDown`) then catches the excess.
 */
export class RateLimitTracker {
  readonly #minRemainingFraction: number;
  #deployments = new Map<string, DeploymentRateLimit>();

  constructor(options: RateLimitTrackerOptions = {}) {
    this.#minRemainingFraction = options.minRemainingFraction ?? 0;
  }

  /**
   * Records the figures from one response. Fields it lacks keep their earlier
   * values. Responses that arrive out of order can briefly show a larger
   * remaining count; the next response corrects it.
   */
  observe(deploymentId: string, snapshot: RateLimitSnapshot): void {
    const current = this.#deployments.get(deploymentId);
    const merged = Object.assign({}, current?.snapshot, definedFields(snapshot));
    this.#deployments.set(deploymentId, Object.assign({}, current, { snapshot: merged }));
  }

  /** Refuses everything until `untilMs`; a shorter cool-down never shortens one. */
  coolDown(deploymentId: string, untilMs: number): void {
    const current = this.#deployments.get(deploymentId) ?? { snapshot: {} };
    const coolDownUntilMs = Math.max(current.coolDownUntilMs ?? -Infinity, untilMs);
    this.#deployments.set(deploymentId, Object.assign({}, current, { coolDownUntilMs }));
  }

  /** Whether a request of about `estimatedTokens` may go to the deployment now. */
  canAdmit(deploymentId: string, query: AdmitQuery): RateLimitAdmission {
    const state = this.#deployments.get(deploymentId);
    if (!state) return { ok: true };

    const refusals = this.#refusals(state, query);
    // Report the refusal that lasts longest: retrying at an earlier one's end
    // would only be refused again.
    const longest = refusals.reduce<Refusal | undefined>(
      (worst, refusal) => (worst && worst.untilMs >= refusal.untilMs ? worst : refusal),
      undefined,
    );
    return longest ? { ok: false, ...longest } : { ok: true };
  }

  /** A copy of the state, plain JSON, for a shared store. */
  exportState(): RateLimitTrackerState {
    return structuredClone({ deployments: Object.fromEntries(this.#deployments) });
  }

  /** Replaces the state with one from `exportState`. */
  importState(state: RateLimitTrackerState): void {
    this.#deployments = new Map(Object.entries(structuredClone(state.deployments)));
  }

  #refusals(state: DeploymentRateLimit, query: AdmitQuery): Refusal[] {
    const { snapshot: s, coolDownUntilMs } = state;
    const remainingTokens = s.remainingTokens ?? Infinity;
    const reserveTokens = (s.limitTokens ?? 0) * this.#minRemainingFraction;

    const checks: Check[] = [
      { reason: 'cool_down', untilMs: coolDownUntilMs, applies: true },
      {
        reason: 'requests_exhausted',
        untilMs: s.requestsResetAtMs,
        applies: (s.remainingRequests ?? Infinity) <= 0,
      },
      {
        reason: 'tokens_insufficient',
        untilMs: s.tokensResetAtMs,
        applies: remainingTokens < query.estimatedTokens,
      },
      {
        reason: 'tokens_below_reserve',
        untilMs: s.tokensResetAtMs,
        applies: remainingTokens < reserveTokens,
      },
      {
        reason: 'output_tokens_exhausted',
        untilMs: s.outputTokensResetAtMs,
        applies: (s.remainingOutputTokens ?? Infinity) <= 0,
      },
    ];
    return checks.flatMap(({ reason, untilMs, applies }) =>
      applies && untilMs !== undefined && untilMs > query.nowMs ? [{ reason, untilMs }] : [],
    );
  }
}

interface Check {
  reason: RateLimitRefusalReason;
  /** When the refusal lifts; without one there is no refusal. */
  untilMs: number | undefined;
  applies: boolean;
}

function definedFields(snapshot: RateLimitSnapshot): RateLimitSnapshot {
  return Object.fromEntries(Object.entries(snapshot).filter(([, value]) => value !== undefined));
}
