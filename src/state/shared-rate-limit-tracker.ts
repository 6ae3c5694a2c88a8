import { OutageLog } from '../logging/outage-log.js';
import type { Logger } from '../logging/logger.js';
import type { RateLimitSnapshot } from '../resilience/rate-limit-headers.js';
import {
  RateLimitTracker,
  type DeploymentRateLimit,
  type RateLimitTrackerOptions,
  type RateLimitTrackerState,
} from '../resilience/rate-limit-tracker.js';
import type { SharedRateLimitStore } from './shared-rate-limit-store.js';

export interface SharedRateLimitTrackerOptions extends RateLimitTrackerOptions {
  store: SharedRateLimitStore;
  logger: Logger;
  /** Epoch ms now, for the store's expiry. */
  now: () => number;
}

/**
 * A `RateLimitTracker` whose figures and cool-downs are shared through a
 * store, so it can stand in for the local one wherever that is used.
 * `canAdmit` still answers at once from local state; what this replica
 * observes is written through to the store in the background, and
 * `refresh` (or `startRefreshing`) brings in what the other replicas saw.
 *
 * Between refreshes a replica does not know of another's 429; it may send
 * one request that a shared view would have held back, and then learns of
 * the cool-down from its own 429 or the next refresh. A store that fails is
 * logged and the tracker carries on with what it knows locally.
 */
export class SharedRateLimitTracker extends RateLimitTracker {
  readonly #store: SharedRateLimitStore;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #outage: OutageLog;

  constructor(options: SharedRateLimitTrackerOptions) {
    const { store, logger, now, ...trackerOptions } = options;
    super(trackerOptions);
    this.#store = store;
    this.#logger = logger;
    this.#outage = new OutageLog(this.#logger, {
      recovered: 'shared rate-limit state is reachable again',
    });
    this.#now = now;
  }

  override observe(deploymentId: string, snapshot: RateLimitSnapshot): void {
    super.observe(deploymentId, snapshot);
    this.#writeThrough(this.#store.observe({ deploymentId, snapshot, nowMs: this.#now() }));
  }

  override coolDown(deploymentId: string, untilMs: number): void {
    super.coolDown(deploymentId, untilMs);
    this.#writeThrough(this.#store.coolDown({ deploymentId, untilMs, nowMs: this.#now() }));
  }

  /** Resolves once every write to the store started so far has ended. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  /**
   * Replaces local figures by the shared ones, after this replica's own
   * writes have landed. Cool-downs merge by the later deadline, so a
   * refresh never shortens one this replica set.
   */
  async refresh(): Promise<void> {
    await this.flush();
    let shared: RateLimitTrackerState;
    try {
      shared = await this.#store.exportState();
    } catch (error) {
      this.#onStoreFailed(error, 'shared rate-limit state could not be read');
      return;
    }
    this.#onStoreOk();
    this.importState(mergeStates(this.exportState(), shared));
  }

  /** Refreshes every `intervalMs` until the returned function is called. */
  startRefreshing(options: { intervalMs: number }): () => void {
    let running = false;
    const tick = async () => {
      // A store slower than the interval (an outage waiting on timeouts)
      // must not pile up refreshes.
      if (running) return;
      running = true;
      try {
        await this.refresh();
      } finally {
        running = false;
      }
    };
    const timer = setInterval(() => void tick(), options.intervalMs);
    // A refresh timer alone must not keep the process alive.
    timer.unref();
    return () => clearInterval(timer);
  }

  #writeThrough(write: Promise<unknown>): void {
    const tracked = write.then(
      () => this.#onStoreOk(),
      (error: unknown) =>
        this.#onStoreFailed(error, 'shared rate-limit state could not be written'),
    );
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  #onStoreFailed(error: unknown, message: string): void {
    this.#outage.failed(
      'warn',
      { err: error },
      `${message}; carrying on with this replica's figures`,
    );
  }

  #onStoreOk(): void {
    this.#outage.ok();
  }
}

function mergeStates(
  local: RateLimitTrackerState,
  shared: RateLimitTrackerState,
): RateLimitTrackerState {
  const deployments: Record<string, DeploymentRateLimit> = { ...local.deployments };
  for (const [id, theirs] of Object.entries(shared.deployments)) {
    const ours = local.deployments[id];
    const coolDownUntilMs = Math.max(
      ours?.coolDownUntilMs ?? -Infinity,
      theirs.coolDownUntilMs ?? -Infinity,
    );
    deployments[id] = Number.isFinite(coolDownUntilMs)
      ? { snapshot: Object.assign({}, ours?.snapshot, theirs.snapshot), coolDownUntilMs }
      : { snapshot: Object.assign({}, ours?.snapshot, theirs.snapshot) };
  }
  return { deployments };
}
