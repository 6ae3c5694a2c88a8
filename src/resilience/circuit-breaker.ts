import {
  acquireBreaker,
  forceBreakerOpen,
  recordBreakerOutcome,
  resolveBreakerOptions,
  type BreakerAdmission,
  type BreakerOptions,
  type BreakerStep,
  type BreakerTransition,
  type BreakerTransitionReason,
} from './breaker-policy.js';
import {
  breakerStateAt,
  closedSnapshot,
  copySnapshot,
  type BreakerSnapshot,
  type BreakerState,
} from './breaker-snapshot.js';

/** One change of a breaker's state, for metrics and logs. */
export interface BreakerStateChange {
  deploymentId: string;
  from: BreakerState;
  to: BreakerState;
  /** Epoch ms of the event that caused it. */
  atMs: number;
  reason: BreakerTransitionReason;
}

/** Told of every change of state. It runs inline, so it must not throw. */
export interface BreakerListener {
  onStateChange(change: BreakerStateChange): void;
}

export interface CircuitBreakerOptions extends BreakerOptions {
  deploymentId: string;
  listener?: BreakerListener;
  /** A saved state to start from. Default: closed, with nothing seen. */
  snapshot?: BreakerSnapshot;
}

/**
 * A circuit breaker for one deployment, held in memory: `closed → open →
 * half_open → closed`. It wraps the pure functions of `breaker-policy.ts`; a
 * `BreakerRegistry` uses the same functions over a shared store instead.
 */
export class CircuitBreaker {
  readonly deploymentId: string;
  readonly #options: BreakerOptions;
  readonly #listener: BreakerListener | undefined;
  #snapshot: BreakerSnapshot;

  constructor(options: CircuitBreakerOptions) {
    this.deploymentId = options.deploymentId;
    this.#options = resolveBreakerOptions(options);
    this.#listener = options.listener;
    this.#snapshot = copySnapshot(options.snapshot ?? closedSnapshot());
  }

  /** Asks to send one request; see `acquireBreaker`. */
  tryAcquire(nowMs: number): BreakerAdmission {
    const step = acquireBreaker(this.#snapshot, { nowMs, options: this.#options });
    this.#apply(step, nowMs);
    return step.admission;
  }

  onSuccess(nowMs: number): void {
    const input = { outcome: 'success', nowMs, options: this.#options } as const;
    this.#apply(recordBreakerOutcome(this.#snapshot, input), nowMs);
  }

  onFailure(nowMs: number): void {
    const input = { outcome: 'failure', nowMs, options: this.#options } as const;
    this.#apply(recordBreakerOutcome(this.#snapshot, input), nowMs);
  }

  /** Opens until `untilMs`, extending but never shortening an open deadline. */
  forceOpen(input: { untilMs: number; nowMs: number }): void {
    this.#apply(forceBreakerOpen(this.#snapshot, input), input.nowMs);
  }

  state(nowMs: number): BreakerState {
    return breakerStateAt(this.#snapshot, nowMs);
  }

  /** A copy of the state, plain JSON. */
  snapshot(): BreakerSnapshot {
    return copySnapshot(this.#snapshot);
  }

  /** Replaces the state with a saved one; tells no listener. */
  restore(snapshot: BreakerSnapshot): void {
    this.#snapshot = copySnapshot(snapshot);
  }

  #apply(step: BreakerStep, nowMs: number): void {
    this.#snapshot = step.snapshot;
    const { transition } = step;
    if (!transition) return;

    notifyStateChange(this.#listener, { deploymentId: this.deploymentId, transition, nowMs });
  }
}

/** Tells `listener`, if there is one, of a transition. */
export function notifyStateChange(
  listener: BreakerListener | undefined,
  event: { deploymentId: string; transition: BreakerTransition; nowMs: number },
): void {
  const { deploymentId, transition, nowMs } = event;
  listener?.onStateChange({ deploymentId, ...transition, atMs: nowMs });
}
