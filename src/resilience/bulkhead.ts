import { systemClock, type Clock } from '../util/clock.js';
import { LightAbortController } from './light-abort.js';

/** Gives a slot back. Calling it again does nothing. */
export type Release = () => void;

export interface BulkheadOptions {
  /** Requests that may be in flight at once. */
  maxConcurrent: number;
  /** Callers that may wait for a slot; more are turned away. Default 0. */
  maxQueued?: number;
  /** Default: the system clock. */
  clock?: Clock;
}

export interface BulkheadAcquireOptions {
  /** Aborting it takes the caller out of the queue. */
  signal?: AbortSignal;
  /** The longest wait for a slot, in ms. Default: until a slot or the signal. */
  maxWaitMs?: number;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/**
 * Caps the requests in flight to one deployment, with a bounded FIFO queue
 * behind the cap, so that a slow deployment holds only its own share of
 * sockets and memory. One bulkhead serves one deployment.
 */
export class Bulkhead {
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  readonly #clock: Clock;
  readonly #queue: Array<Deferred<Release | undefined>> = [];
  #inFlight = 0;

  constructor(options: BulkheadOptions) {
    this.#maxConcurrent = options.maxConcurrent;
    this.#maxQueued = options.maxQueued ?? 0;
    this.#clock = options.clock ?? systemClock;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Resolves to a `Release` once a slot is held, or to undefined when the
   * queue is full or `maxWaitMs` ran out: the caller then goes elsewhere or
   * answers 503. Rejects with the signal's reason if it aborts first.
   */
  async acquire(options: BulkheadAcquireOptions = {}): Promise<Release | undefined> {
    const { signal, maxWaitMs } = options;
    signal?.throwIfAborted();

    // Queued callers are ahead of a newcomer even when a slot is free.
    if (this.#inFlight < this.#maxConcurrent && this.#queue.length === 0) {
      this.#inFlight += 1;
      return this.#releaser();
    }
    if (this.#queue.length >= this.#maxQueued) return undefined;
    if (maxWaitMs !== undefined && maxWaitMs <= 0) return undefined;

    return this.#wait({ signal, maxWaitMs });
  }

  async #wait(options: BulkheadAcquireOptions): Promise<Release | undefined> {
    const { signal, maxWaitMs } = options;
    const waiter = deferred<Release | undefined>();
    const timer = new LightAbortController();
    // Leaving the queue before settling means a release can never hand its
    // slot to a caller that has already given up.
    const leave = (settle: () => void) => {
      this.#remove(waiter);
      settle();
    };
    const onAbort = () => leave(() => waiter.reject(signal?.reason));

    this.#queue.push(waiter);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (maxWaitMs !== undefined) {
      this.#clock.sleep(maxWaitMs, timer.signal).then(
        () => leave(() => waiter.resolve(undefined)),
        () => {}, // cancelled in `finally`: the caller got a slot or gave up
      );
    }

    try {
      return await waiter.promise;
    } finally {
      timer.abort();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #remove(waiter: Deferred<Release | undefined>): void {
    const index = this.#queue.indexOf(waiter);
    if (index !== -1) this.#queue.splice(index, 1);
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#handOver();
    };
  }

  // The slot passes straight to the first waiter, so a newcomer arriving
  // between the release and the waiter's wake-up cannot take it.
  #handOver(): void {
    const next = this.#queue.shift();
    if (next) next.resolve(this.#releaser());
    else this.#inFlight -= 1;
  }
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (reason: unknown) => void = () => {};
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}
