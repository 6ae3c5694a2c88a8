import type { Redis } from 'ioredis';
import type { GatewayConfig } from '../config/config-types.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../logging/logger.js';
import type { RouteJob } from '../routing/route-engine.js';
import type { BudgetStore } from '../state/budget-store.js';
import { MemoryBudgetStore } from '../state/memory-budget-store.js';
import { RedisBudgetStore } from '../state/redis-budget-store.js';
import type { ApiKeyRecord } from './api-key-record.js';
import { assertTierAllowed, authenticate, type HeaderBag } from './authenticate.js';
import { BudgetLedger, type BudgetUsage, type Reservation } from './budget-ledger.js';
import { KeyManager } from './key-manager.js';
import type { KeyStore } from './key-store.js';
import { openKeyStore } from './open-key-store.js';
import { requestWorstCaseUsd } from './request-worst-case.js';

export interface RequestAccessOptions {
  config: GatewayConfig;
  logger: Logger;
  /**
   * The process's Redis client, required when `config.redis.url` is set:
   * budget counters then live in Redis under `config.redis.keyPrefix`, shared
   * by every replica. Without a URL they live in this process's memory. The
   * client is not closed by `close`.
   */
  redis?: Redis | undefined;
  /** Overrides the store of `config.keys` (tests); closed by `close`. */
  keyStore?: KeyStore;
  /** Overrides where budget counters live (tests). */
  budgetStore?: BudgetStore;
  /** Epoch ms now. */
  now?: () => number;
  /**
   * While the gateway is open (no key in the store), how often a request
   * asks the store again whether a key has appeared. Default 5000.
   */
  openRecheckMs?: number;
  /** How long an unsettled budget hold lasts (a crashed request's). Default 5 minutes. */
  reservationTtlMs?: number;
}

/** What `admit` lets through: who the request is for, and its budget hold. */
export interface Admission {
  /** The key's id; null when the gateway is open (no key configured). */
  keyId: string | null;
  /** The tiers the key may use (empty: all); undefined when open. */
  allowedTiers: string[] | undefined;
  /** The worst case held against the key's budgets, USD; 0 when open. */
  reservedUsd: number;
  /**
   * Counts what the request really cost against the key's budgets and lets
   * go of the rest of the hold. Call it once the engine has answered, with
   * the cost of every attempt (0 for a cache hit). Never throws: a budget
   * store that fails here is logged, and the hold lapses after its TTL.
   */
  settle(costUsd: number): Promise<void>;
  /** `settle(0)`: for a request that failed before any upstream attempt. */
  release(): Promise<void>;
}

const DEFAULT_OPEN_RECHECK_MS = 5000;

/**
 * The one object the server asks who a request is and whether it may run:
 * the key (401), the tier (403) and the budget (402, after holding the
 * request's worst-case cost). Settling after the engine answered replaces
 * the hold by the real cost, so a burst of concurrent requests cannot
 * overspend: each is checked against the spend plus every hold in flight.
 *
 * **Open mode.** While the key store holds no key at all, the gateway is
 * open, as in demo mode: every request is admitted, unattributed and
 * unbudgeted. A revoked key still counts as a key, so revoking the last key
 * locks the gateway rather than opening it. Once a key exists the gateway
 * stays closed for the life of the process (keys are never deleted). While
 * open, the store is asked again at most every `openRecheckMs`, so a key
 * made by the CLI or on another replica closes the gateway within that
 * time; one made through this process's admin API closes it at once.
 */
export class RequestAccess {
  /** Keys: the operations the admin API and the CLI share. */
  readonly keys: KeyManager;
  readonly #config: GatewayConfig;
  readonly #store: KeyStore;
  readonly #ledger: BudgetLedger;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #openRecheckMs: number;
  #open: boolean;
  #nextCheckMs: number;
  #check: Promise<void> | undefined;

  private constructor(options: {
    config: GatewayConfig;
    store: KeyStore;
    ledger: BudgetLedger;
    logger: Logger;
    now: () => number;
    openRecheckMs: number;
    open: boolean;
  }) {
    this.#config = options.config;
    this.#store = options.store;
    this.#ledger = options.ledger;
    this.#logger = options.logger;
    this.#now = options.now;
    this.#openRecheckMs = options.openRecheckMs;
    this.#open = options.open;
    this.#nextCheckMs = options.now() + options.openRecheckMs;
    this.keys = new KeyManager({ store: options.store, now: options.now });
  }

  /**
   * Opens the key store the configuration names (creating it the first
   * time), picks the budget store, and says at start-up whether the gateway
   * is open.
   */
  static async open(options: RequestAccessOptions): Promise<RequestAccess> {
    const { config, logger } = options;
    const now = options.now ?? Date.now;
    const budgetStore = options.budgetStore ?? budgetStoreFor(options);
    const store = options.keyStore ?? (await openKeyStore(config.keys.store));
    let keyCount: number;
    try {
      keyCount = (await store.list()).length;
    } catch (error) {
      await store.close();
      throw error;
    }
    const access = new RequestAccess({
      config,
      store,
      ledger: new BudgetLedger({
        store: budgetStore,
        now,
        ...(options.reservationTtlMs ? { reservationTtlMs: options.reservationTtlMs } : {}),
      }),
      logger,
      now,
      openRecheckMs: options.openRecheckMs ?? DEFAULT_OPEN_RECHECK_MS,
      open: keyCount === 0,
    });
    const budgets = budgetStoreKind(budgetStore);
    if (keyCount === 0) {
      logger.warn(
        { budget_store: budgets },
        'no API keys configured: the gateway is open to every caller; create a key ' +
          '(switchyard keys create, or POST /admin/keys) to require one',
      );
    } else {
      logger.info({ keys: keyCount, budget_store: budgets }, 'API keys required');
    }
    return access;
  }

  /** True while no key exists in the store: every request is let through. */
  get open(): boolean {
    return this.#open;
  }

  /**
   * Admits a request or throws `GatewayError`: 401 `unauthorized` (no key,
   * an unknown or revoked one), 403 `forbidden` (the key may not use
   * `tier`, by default the job's start tier), 402 `budget_exceeded` (the
   * request's worst case does not fit a budget), 503 `overloaded` (the key
   * or budget store does not answer; requests are refused rather than let
   * through unchecked).
   */
  async admit(options: {
    headers: HeaderBag;
    job: Pick<RouteJob, 'plan' | 'messages' | 'contract' | 'maxTokens' | 'maxCostUsd'>;
    tier?: string;
  }): Promise<Admission> {
    if (await this.#stillOpen()) return OPEN_ADMISSION;

    const record = await this.#authenticate(options.headers);
    assertTierAllowed(record, options.tier ?? options.job.plan.startTier);
    const amountUsd = requestWorstCaseUsd({
      config: this.#config,
      job: options.job,
      allowedTiers: record.allowedTiers,
    });
    const reservation = await this.#reserve(record, amountUsd);
    return this.#admission(record, reservation);
  }

  /** Spend and holds of the key's current UTC day and month. */
  usage(record: ApiKeyRecord): Promise<BudgetUsage> {
    return this.#ledger.usage(record);
  }

  /** Closes the gateway at once: the admin API calls it after creating a key. */
  noteKeyCreated(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#logger.info('an API key was created: requests now need a key');
  }

  /** Closes the key store (not the Redis client, which the caller owns). */
  async close(): Promise<void> {
    await this.#check;
    await this.#store.close();
  }

  async #stillOpen(): Promise<boolean> {
    if (!this.#open) return false;
    if (this.#now() < this.#nextCheckMs) return true;
    // One look at the store for all the requests that arrive meanwhile.
    this.#check ??= this.#recheck().finally(() => {
      this.#check = undefined;
    });
    await this.#check;
    return this.#open;
  }

  async #recheck(): Promise<void> {
    try {
      const keys = await this.#store.list();
      if (keys.length > 0) {
        this.#open = false;
        this.#logger.info({ keys: keys.length }, 'API keys configured: requests now need a key');
      }
    } catch (error) {
      // No key was ever seen, so staying open changes nothing for anyone.
      this.#logger.warn({ err: error }, 'the key store could not be read; the gateway stays open');
    } finally {
      this.#nextCheckMs = this.#now() + this.#openRecheckMs;
    }
  }

  async #authenticate(headers: HeaderBag): Promise<ApiKeyRecord> {
    try {
      return await authenticate({ store: this.#store, headers });
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      this.#logger.error({ err: error }, 'the key store could not be read');
      throw unavailable('authorization', 'the key store is unavailable; try again', error);
    }
  }

  async #reserve(record: ApiKeyRecord, amountUsd: number): Promise<Reservation> {
    try {
      return await this.#ledger.reserve({ key: record, amountUsd });
    } catch (error) {
      if (error instanceof GatewayError) {
        // The ledger's 402 names the window; say which key too.
        const details = Object.assign({}, error.details, { api_key_id: record.id });
        throw new GatewayError(error.type, error.message, { cause: error.cause, details });
      }
      this.#logger.error({ err: error, api_key_id: record.id }, 'the budget store failed');
      throw unavailable('budget', 'the budget store is unavailable; try again', error);
    }
  }

  #admission(record: ApiKeyRecord, reservation: Reservation): Admission {
    const settle = async (costUsd: number): Promise<void> => {
      try {
        await this.#ledger.settle(reservation, { costUsd });
      } catch (error) {
        this.#logger.error(
          { err: error, api_key_id: record.id, cost_usd: costUsd },
          'a request cost could not be counted against its budget',
        );
      }
    };
    return {
      keyId: record.id,
      allowedTiers: [...record.allowedTiers],
      reservedUsd: reservation.amountUsd,
      settle,
      release: () => settle(0),
    };
  }
}

const OPEN_ADMISSION: Admission = Object.freeze({
  keyId: null,
  allowedTiers: undefined,
  reservedUsd: 0,
  settle: async () => {},
  release: async () => {},
});

function budgetStoreFor(options: RequestAccessOptions): BudgetStore {
  const { config, redis } = options;
  if (!config.redis.url) return new MemoryBudgetStore();
  if (!redis) throw new Error('redis.url is set but no Redis client was passed to RequestAccess');
  return new RedisBudgetStore({ redis, keyPrefix: config.redis.keyPrefix });
}

function budgetStoreKind(store: BudgetStore): string {
  if (store instanceof RedisBudgetStore) return 'redis';
  return store instanceof MemoryBudgetStore ? 'memory' : 'custom';
}

function unavailable(field: string, reason: string, cause: unknown): GatewayError {
  return new GatewayError('overloaded', `${field}: ${reason}`, {
    cause,
    details: { field },
    retryAfterSeconds: 1,
  });
}
