import { OutageLog } from '../logging/outage-log.js';
import type { Logger } from '../logging/logger.js';
import type { BreakerSnapshot } from '../resilience/breaker-snapshot.js';
import {
  MemoryBreakerStore,
  type BreakerChange,
  type BreakerStore,
  type StoredBreaker,
} from '../resilience/breaker-store.js';

export interface FallbackBreakerStoreOptions {
  /** The store the replicas share (Redis). */
  shared: BreakerStore;
  /** Used while the shared store fails; a fresh in-memory store by default. */
  local?: BreakerStore;
  logger: Logger;
  /** Epoch ms now. */
  now?: () => number;
  /**
   * After the shared store fails, this many ms go to the local store before
   * the shared one is tried again, so an outage costs one failed call per
   * interval rather than one per request. Default 5000.
   */
  retryAfterMs?: number;
}

/**
 * A `BreakerStore` that uses the shared store and, while it fails, carries
 * on with a local one instead of failing requests: a Redis outage must not
 * take the gateway down with it.
 *
 * During the outage each replica keeps breakers of its own, so a breaker
 * opened through one replica is not honoured by the others. When the shared
 * store answers again its state wins and what was recorded locally in the
 * meantime is not copied over: a breaker that opened only during the outage
 * closes again and reopens after a fresh run of failures.
 */
export class FallbackBreakerStore implements BreakerStore {
  readonly #shared: BreakerStore;
  readonly #local: BreakerStore;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #retryAfterMs: number;
  #sharedDownUntilMs = -Infinity;
  readonly #outage: OutageLog;

  constructor(options: FallbackBreakerStoreOptions) {
    this.#shared = options.shared;
    this.#local = options.local ?? new MemoryBreakerStore();
    this.#logger = options.logger;
    this.#outage = new OutageLog(this.#logger, {
      recovered: 'shared breaker store is back; breakers are shared again',
    });
    this.#now = options.now ?? Date.now;
    this.#retryAfterMs = options.retryAfterMs ?? 5000;
  }

  /** Whether calls go to the local store now, because the shared one failed. */
  get usingLocal(): boolean {
    return this.#now() < this.#sharedDownUntilMs;
  }

  get(deploymentId: string): Promise<BreakerSnapshot | undefined> {
    return this.#call((store) => store.get(deploymentId));
  }

  put(deploymentId: string, snapshot: BreakerSnapshot): Promise<void> {
    return this.#call((store) => store.put(deploymentId, snapshot));
  }

  update<R>(deploymentId: string, change: BreakerChange<R>): Promise<R> {
    return this.#call((store) => store.update(deploymentId, change));
  }

  list(): Promise<StoredBreaker[]> {
    return this.#call((store) => store.list());
  }

  async #call<T>(operation: (store: BreakerStore) => Promise<T>): Promise<T> {
    if (this.usingLocal) return operation(this.#local);

    try {
      const result = await operation(this.#shared);
      this.#onSharedOk();
      return result;
    } catch (error) {
      this.#onSharedFailed(error);
      // An update whose reply was lost may have landed in the shared store
      // too; the change is pure, so running it locally as well is harmless.
      return operation(this.#local);
    }
  }

  #onSharedOk(): void {
    this.#outage.ok();
  }

  #onSharedFailed(error: unknown): void {
    this.#sharedDownUntilMs = this.#now() + this.#retryAfterMs;
    this.#outage.failed(
      'error',
      { err: error, retry_after_ms: this.#retryAfterMs },
      'shared breaker store failed; breakers are local to this replica until it is back',
    );
  }
}
