import { systemClock, type Clock } from '../util/clock.js';

export interface DeadlineOptions {
  /** The whole time the request may take, in ms, from now. */
  budgetMs: number;
  /** Aborts with the deadline, e.g. when the client disconnects. */
  parentSignal?: AbortSignal;
  /** Default: the system clock. */
  clock?: Clock;
}

/**
 * A request's time budget. `signal` aborts when the budget runs out (with a
 * `TimeoutError` DOMException, as `AbortSignal.timeout` would) or when the
 * parent signal aborts (with the parent's reason). Call `dispose` once the
 * request is done, so that its timer does not outlive it.
 */
export class Deadline {
  /** Epoch ms at which the budget runs out. */
  readonly expiresAtMs: number;
  readonly signal: AbortSignal;
  readonly #clock: Clock;
  readonly #timeout = new AbortController();
  readonly #timer = new AbortController();
  readonly #unlinkParent: () => void = () => {};

  constructor(options: DeadlineOptions) {
    const { budgetMs, parentSignal } = options;
    this.#clock = options.clock ?? systemClock;
    this.expiresAtMs = this.#clock.now() + budgetMs;
    // One signal for both: the parent's abort is passed on with its reason.
    this.signal = this.#timeout.signal;
    if (parentSignal?.aborted) this.#timeout.abort(parentSignal.reason);
    else if (parentSignal) {
      const onParentAbort = () => this.#timeout.abort(parentSignal.reason);
      parentSignal.addEventListener('abort', onParentAbort, { once: true });
      this.#unlinkParent = () => parentSignal.removeEventListener('abort', onParentAbort);
    }

    if (budgetMs <= 0) {
      this.#expire();
      return;
    }
    this.#clock.sleep(budgetMs, this.#timer.signal).then(
      () => this.#expire(),
      () => {}, // disposed before the budget ran out
    );
  }

  /** Milliseconds left at `nowMs` (default: the clock's now); never negative. */
  remainingMs(nowMs: number = this.#clock.now()): number {
    return Math.max(0, this.expiresAtMs - nowMs);
  }

  /** Whether the budget has run out by the clock. */
  get expired(): boolean {
    return this.#clock.now() >= this.expiresAtMs;
  }

  /** Stops the timer and lets go of the parent. `signal` stays as it is, aborted or not. */
  dispose(): void {
    this.#timer.abort();
    this.#unlinkParent();
  }

  #expire(): void {
    this.#timeout.abort(new DOMException('The request deadline passed', 'TimeoutError'));
  }
}
