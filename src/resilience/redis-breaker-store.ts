import type { Redis } from 'ioredis';
import { RedisScript } from '../state/redis-script.js';
import { isBreakerSnapshot, type BreakerSnapshot } from './breaker-snapshot.js';
import type { BreakerChange, BreakerStore, StoredBreaker } from './breaker-store.js';

// Compare-and-set: writes the new snapshot only if the stored text is still
// the one the change was computed from (or still absent). KEYS: the
// breaker, the set of ids. ARGV: '1' if a value was read, that value, the
// new value, the deployment id.
const COMPARE_AND_SET = new RedisScript(`
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return 1
`);

/** Updates that lose this many races in a row give up with an error. */
const MAX_UPDATE_TRIES = 100;

export interface RedisBreakerStoreOptions {
  redis: Redis;
  /** Put before every key, e.g. `switchyard:`. */
  keyPrefix?: string;
}

/**
 * A `BreakerStore` in Redis, so that every replica sees one breaker per
 * deployment: one opened through any replica is open for all.
 *
 * `update` is optimistic: read the snapshot, run the change, and write with
 * a compare-and-set script that fails if another replica wrote in between;
 * on failure it reads and runs the change again. WATCH/MULTI would do the
 * same but needs a connection of its own per update, since a WATCH covers
 * the whole connection. A change that leaves the snapshot as it was writes
 * nothing, so the common case (a success on a healthy breaker) costs one
 * read. Under heavy concurrency on one deployment, updates may retry several
 * times; past 100 lost races in a row one fails with an error.
 *
 * Breaker keys have no expiry: there is one per deployment, and a breaker's
 * state must not vanish while it is open.
 */
export class RedisBreakerStore implements BreakerStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisBreakerStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix ?? 'switchyard:';
  }

  async get(deploymentId: string): Promise<BreakerSnapshot | undefined> {
    return parseSnapshot(await this.#redis.get(this.#key(deploymentId)));
  }

  async put(deploymentId: string, snapshot: BreakerSnapshot): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#key(deploymentId), JSON.stringify(snapshot))
      .sadd(this.#idsKey(), deploymentId)
      .exec();
  }

  async update<R>(deploymentId: string, change: BreakerChange<R>): Promise<R> {
    const key = this.#key(deploymentId);
    for (let tries = 0; tries < MAX_UPDATE_TRIES; tries++) {
      const raw = await this.#redis.get(key);
      // A corrupt entry reads as none; the compare below still expects its
      // exact text, so the write replaces it only if nobody else did.
      const { snapshot, result } = change(parseSnapshot(raw));
      const next = JSON.stringify(snapshot);
      if (next === raw) return result;

      const written = await COMPARE_AND_SET.run(this.#redis, {
        keys: [key, this.#idsKey()],
        args: [raw === null ? '0' : '1', raw ?? '', next, deploymentId],
      });
      if (written === 1) return result;
    }
    throw new Error(
      `breaker update of ${deploymentId} lost ${MAX_UPDATE_TRIES} races in a row to other writers`,
    );
  }

  async list(): Promise<StoredBreaker[]> {
    const ids = (await this.#redis.smembers(this.#idsKey())).sort();
    if (ids.length === 0) return [];

    const values = await this.#redis.mget(...ids.map((id) => this.#key(id)));
    return ids.flatMap((deploymentId, index) => {
      const snapshot = parseSnapshot(values[index] ?? null);
      return snapshot ? [{ deploymentId, snapshot }] : [];
    });
  }

  #key(deploymentId: string): string {
    return `${this.#prefix}breaker:${deploymentId}`;
  }

  #idsKey(): string {
    return `${this.#prefix}breakers`;
  }
}

function parseSnapshot(raw: string | null): BreakerSnapshot | undefined {
  if (raw === null) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return isBreakerSnapshot(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
