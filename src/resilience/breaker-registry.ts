import {
  acquireBreaker,
  forceBreakerOpen,
  recordBreakerOutcome,
  resolveBreakerOptions,
  type BreakerAdmission,
  type BreakerOptions,
  type BreakerOutcome,
  type BreakerStep,
  type ResolvedBreakerOptions,
} from './breaker-policy.js';
import {
  breakerStateAt,
  closedSnapshot,
  type BreakerSnapshot,
  type BreakerState,
} from './breaker-snapshot.js';
import type { BreakerStore, StoredBreaker } from './breaker-store.js';
import { notifyStateChange, type BreakerListener } from './circuit-breaker.js';
import { windowTotals } from './failure-window.js';

export interface BreakerRegistryOptions {
  store: BreakerStore;
  /** The policy every deployment's breaker follows. */
  breaker?: BreakerOptions;
  listener?: BreakerListener;
}

/** One breaker as `/admin` and metrics show it. */
export interface BreakerStatus {
  deploymentId: string;
  state: BreakerState;
  /** While stored as open: epoch ms at which its cool-down ends. */
  openUntilMs?: number;
  /** While half-open: epoch ms at which the probe in flight was admitted. */
  probeStartedAtMs?: number;
  consecutiveFailures: number;
  /** Requests and failures in the failure-rate window; 0 when not watched. */
  windowRequests: number;
  windowFailures: number;
}

/**
 * The circuit breakers of every deployment, kept in a `BreakerStore` so that
 * replicas sharing the store share their breakers. A deployment never seen is
 * closed. Listeners hear only the changes this replica made.
 */
export class BreakerRegistry {
  readonly #store: BreakerStore;
  readonly #options: ResolvedBreakerOptions;
  readonly #listener: BreakerListener | undefined;

  constructor(options: BreakerRegistryOptions) {
    this.#store = options.store;
    this.#options = resolveBreakerOptions(options.breaker);
    this.#listener = options.listener;
  }

  /** Asks to send one request to the deployment; see `acquireBreaker`. */
  async acquire(deploymentId: string, nowMs: number): Promise<BreakerAdmission> {
    // A closed breaker admits without changing, so the common case is a read
    // alone, not a write to a shared store on every request.
    const current = await this.#store.get(deploymentId);
    if (!current || current.state === 'closed') return { ok: true, probe: false };

    const options = this.#options;
    const step = await this.#change(deploymentId, (snapshot) =>
      acquireBreaker(snapshot, { nowMs, options }),
    );
    this.#notify(deploymentId, { step, nowMs });
    return step.admission;
  }

  /** Records how a request admitted by `acquire` ended. */
  async record(deploymentId: string, outcome: BreakerOutcome, nowMs: number): Promise<void> {
    const options = this.#options;
    const step = await this.#change(deploymentId, (snapshot) =>
      recordBreakerOutcome(snapshot, { outcome, nowMs, options }),
    );
    this.#notify(deploymentId, { step, nowMs });
  }

  /** Opens until `untilMs`; extends but never shortens an open deadline. */
  async forceOpen(deploymentId: string, input: { untilMs: number; nowMs: number }): Promise<void> {
    const step = await this.#change(deploymentId, (snapshot) => forceBreakerOpen(snapshot, input));
    this.#notify(deploymentId, { step, nowMs: input.nowMs });
  }

  /** Every breaker the store holds, as seen at `nowMs`. */
  async list(nowMs: number): Promise<BreakerStatus[]> {
    const stored = await this.#store.list();
    return stored.map((entry) => this.#status(entry, nowMs));
  }

  #change<S extends BreakerStep>(
    deploymentId: string,
    step: (snapshot: BreakerSnapshot) => S,
  ): Promise<S> {
    return this.#store.update(deploymentId, (current) => {
      const next = step(current ?? closedSnapshot());
      return { snapshot: next.snapshot, result: next };
    });
  }

  #notify(deploymentId: string, input: { step: BreakerStep; nowMs: number }): void {
    const { transition } = input.step;
    if (!transition) return;

    notifyStateChange(this.#listener, { deploymentId, transition, nowMs: input.nowMs });
  }

  #status({ deploymentId, snapshot }: StoredBreaker, nowMs: number): BreakerStatus {
    const state = breakerStateAt(snapshot, nowMs);
    switch (snapshot.state) {
      case 'open':
        return { deploymentId, state, openUntilMs: snapshot.openUntilMs, ...NOTHING_COUNTED };
      case 'half_open':
        return {
          deploymentId,
          state,
          probeStartedAtMs: snapshot.probeStartedAtMs,
          ...NOTHING_COUNTED,
        };
      case 'closed': {
        const { windowMs, windowBuckets: buckets } = this.#options;
        const totals = windowTotals(snapshot.window, { windowMs, buckets, nowMs });
        return {
          deploymentId,
          state,
          consecutiveFailures: snapshot.consecutiveFailures,
          windowRequests: totals.requests,
          windowFailures: totals.failures,
        };
      }
    }
  }
}

// Counters exist only while closed.
const NOTHING_COUNTED = { consecutiveFailures: 0, windowRequests: 0, windowFailures: 0 };
