import type { RateLimitSnapshot } from '../resilience/rate-limit-headers.js';
import type {
  DeploymentRateLimit,
  RateLimitTrackerState,
} from '../resilience/rate-limit-tracker.js';

/**
 * Rate-limit figures and 429 cool-downs of every deployment, shared by the
 * replicas so that one replica's 429 steers the others away too. The shapes
 * are those of `RateLimitTracker`'s saved state.
 */
export interface SharedRateLimitStore {
  /** Records a response's figures; fields it lacks keep their earlier values. */
  observe(input: {
    deploymentId: string;
    snapshot: RateLimitSnapshot;
    nowMs: number;
  }): Promise<void>;
  /**
   * Cools the deployment down until `untilMs`, atomically: a later, longer
   * cool-down extends the deadline, a shorter one never shortens it.
   * Resolves to the deadline now in force.
   */
  coolDown(input: { deploymentId: string; untilMs: number; nowMs: number }): Promise<number>;
  /** What is known of every deployment, to import into a tracker. */
  exportState(): Promise<RateLimitTrackerState>;
}

/** A `SharedRateLimitStore` for one process, for tests and single replicas. */
export class MemorySharedRateLimitStore implements SharedRateLimitStore {
  readonly #deployments = new Map<string, DeploymentRateLimit>();

  async observe(input: { deploymentId: string; snapshot: RateLimitSnapshot }): Promise<void> {
    const current = this.#deployments.get(input.deploymentId);
    const snapshot = Object.assign({}, current?.snapshot, definedFields(input.snapshot));
    this.#deployments.set(input.deploymentId, Object.assign({}, current, { snapshot }));
  }

  async coolDown(input: { deploymentId: string; untilMs: number }): Promise<number> {
    const current = this.#deployments.get(input.deploymentId) ?? { snapshot: {} };
    const coolDownUntilMs = Math.max(current.coolDownUntilMs ?? -Infinity, input.untilMs);
    this.#deployments.set(input.deploymentId, Object.assign({}, current, { coolDownUntilMs }));
    return coolDownUntilMs;
  }

  async exportState(): Promise<RateLimitTrackerState> {
    return structuredClone({ deployments: Object.fromEntries(this.#deployments) });
  }
}

/** The snapshot's fields that hold a number, as the tracker merges them. */
export function definedFields(snapshot: RateLimitSnapshot): RateLimitSnapshot {
  return Object.fromEntries(
    Object.entries(snapshot).filter(
      ([, value]) => typeof value === 'number' && Number.isFinite(value),
    ),
  );
}
