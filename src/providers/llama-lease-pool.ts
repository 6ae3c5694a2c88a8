/**
 * A fixed set of items (llama.cpp context sequences) lent to one caller at a
 * time. A sequence holds the tokens of one conversation, so two attempts on
 * the same sequence would overwrite each other's state; the pool makes them
 * wait their turn instead, first come first served.
 */

interface Waiter<T> {
  resolve: (item: T) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/** Thrown to waiters, and to later callers, once the pool is closed. */
export class LeasePoolClosedError extends Error {
  readonly code = 'lease_pool_closed';

  constructor() {
    super('the pool is closed');
    this.name = 'LeasePoolClosedError';
  }
}

export class LeasePool<T> {
  readonly #free: T[];
  readonly #waiters: Waiter<T>[] = [];
  readonly #size: number;
  #closed = false;
  #onDrained: (() => void) | undefined;

  constructor(items: readonly T[]) {
    if (items.length === 0) throw new RangeError('a lease pool needs at least one item');
    this.#free = [...items];
    this.#size = items.length;
  }

  /** Callers waiting for an item right now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Items lent out right now. */
  get lent(): number {
    return this.#size - this.#free.length;
  }

  /**
   * Resolves with a free item, waiting for one when all are lent. Rejects with
   * the signal's reason when it aborts first, so a caller whose deadline
   * passes in the queue gives up at once rather than when its turn comes.
   */
  acquire(signal: AbortSignal): Promise<T> {
    if (this.#closed) return Promise.reject(new LeasePoolClosedError());
    if (signal.aborted) return Promise.reject(signal.reason);
    const item = this.#free.pop();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#removeWaiter(waiter);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Gives an item back; the longest-waiting caller gets it. */
  release(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(item);
      return;
    }
    this.#free.push(item);
    if (this.lent === 0) this.#onDrained?.();
  }

  /**
   * Refuses new callers, rejects the waiting ones, and resolves once every
   * lent item has come back, so the caller can then free what they hold.
   */
  close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new LeasePoolClosedError());
    }
    if (this.lent === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onDrained = resolve;
    });
  }

  #removeWaiter(waiter: Waiter<T>): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }
}
