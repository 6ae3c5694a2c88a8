import { copySnapshot, type BreakerSnapshot } from './breaker-snapshot.js';

/**
 * A change to one breaker's snapshot: given the stored one (undefined when
 * there is none), the snapshot to store and a result for the caller.
 */
export type BreakerChange<R> = (current: BreakerSnapshot | undefined) => {
  snapshot: BreakerSnapshot;
  result: R;
};

export interface StoredBreaker {
  deploymentId: string;
  snapshot: BreakerSnapshot;
}

/**
 * Where breaker snapshots live, keyed by deployment id. Snapshots go in and
 * come out as plain JSON values, and callers never share an object with the
 * store, so a store over Redis behaves as this in-memory one does.
 */
export interface BreakerStore {
  get(deploymentId: string): Promise<BreakerSnapshot | undefined>;
  put(deploymentId: string, snapshot: BreakerSnapshot): Promise<void>;
  /**
   * Reads, changes and writes one snapshot so that no other update lands in
   * between, and resolves to the change's result. A store may run `change`
   * more than once (Redis: WATCH, MULTI, and a retry on conflict), so it must
   * be pure and only its last run counts.
   */
  update<R>(deploymentId: string, change: BreakerChange<R>): Promise<R>;
  /** Every stored breaker, for `/admin` and metrics. */
  list(): Promise<StoredBreaker[]>;
}

/** A `BreakerStore` for one process; state is lost when it exits. */
export class MemoryBreakerStore implements BreakerStore {
  readonly #snapshots = new Map<string, BreakerSnapshot>();

  async get(deploymentId: string): Promise<BreakerSnapshot | undefined> {
    return this.#read(deploymentId);
  }

  async put(deploymentId: string, snapshot: BreakerSnapshot): Promise<void> {
    this.#snapshots.set(deploymentId, copySnapshot(snapshot));
  }

  async update<R>(deploymentId: string, change: BreakerChange<R>): Promise<R> {
    // Read, change and write with no await between them, so two concurrent
    // updates cannot both start from the same snapshot.
    const { snapshot, result } = change(this.#read(deploymentId));
    this.#snapshots.set(deploymentId, copySnapshot(snapshot));
    return result;
  }

  async list(): Promise<StoredBreaker[]> {
    return [...this.#snapshots].map(([deploymentId, snapshot]) => ({
      deploymentId,
      snapshot: copySnapshot(snapshot),
    }));
  }

  #read(deploymentId: string): BreakerSnapshot | undefined {
    const snapshot = this.#snapshots.get(deploymentId);
    return snapshot && copySnapshot(snapshot);
  }
}
