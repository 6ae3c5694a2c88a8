import type { Redis } from 'ioredis';
import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import type { Logger } from '../logging/logger.js';
import { BreakerRegistry } from '../resilience/breaker-registry.js';
import { MemoryBreakerStore, type BreakerStore } from '../resilience/breaker-store.js';
import type { BreakerStateChange } from '../resilience/circuit-breaker.js';
import { RateLimitTracker } from '../resilience/rate-limit-tracker.js';
import { RedisBreakerStore } from '../resilience/redis-breaker-store.js';
import { ResilientGate, type GateEvent } from '../routing/resilient-gate.js';
import { FallbackBreakerStore } from '../state/fallback-breaker-store.js';
import { RedisRateLimitStore } from '../state/redis-rate-limit-store.js';
import { SharedRateLimitTracker } from '../state/shared-rate-limit-tracker.js';
import type { Clock } from '../util/clock.js';

/**
 * How often a replica reads the rate-limit figures and 429 cool-downs the
 * other replicas wrote to Redis: the most a replica lags behind another's 429.
 */
export const SHARED_RATE_LIMIT_REFRESH_MS = 1000;

export interface BuiltGate {
  gate: ResilientGate;
  breakers: BreakerRegistry;
  rateLimits: RateLimitTracker;
  /** Whether breakers and rate limits live in Redis, shared by the replicas. */
  shared: boolean;
  /**
   * Stops the shared rate-limit refresh and waits for this replica's writes
   * to Redis to land. Call it before closing the Redis client.
   */
  close(): Promise<void>;
}

export interface BuildGateOptions {
  config: GatewayConfig;
  clock: Clock;
  logger: Logger;
  /**
   * The process's Redis client, required when `config.redis.url` is set:
   * breakers and rate-limit windows then live in Redis under
   * `config.redis.keyPrefix`, so that every replica sharing it sees the same
   * ones. Without a URL they live in this process's memory.
   */
  redis?: Redis;
  /** Overrides where breaker state lives (tests); wins over `redis`. */
  breakerStore?: BreakerStore;
  /** How often shared rate limits are re-read; default `SHARED_RATE_LIMIT_REFRESH_MS`. */
  rateLimitRefreshMs?: number;
  isPaused?: (deployment: DeploymentConfig) => boolean;
  onEvent?: (event: GateEvent) => void;
  onBreakerChange?: (change: BreakerStateChange) => void;
}

/**
 * Breakers, rate-limit tracking and in-flight caps from the configuration.
 *
 * With Redis, a breaker is read from Redis on every admission (one GET per
 * attempt), so a breaker opened through one replica is honoured by every
 * other from its next attempt on: there is no staleness beyond the write's
 * round trip. Should Redis fail, each replica carries on with breakers of
 * its own until Redis answers again (see `FallbackBreakerStore`).
 *
 * Rate-limit figures are admitted from local memory and refreshed from Redis
 * every `rateLimitRefreshMs`, so a replica can lag another's 429 cool-down
 * by that long (1 s by default) and send one request a shared view would
 * have held back; its own 429 then cools it at once. In-flight caps are per
 * replica: a cap of N admits up to N per deployment on each replica.
 */
export function buildGate(options: BuildGateOptions): BuiltGate {
  const { config, clock, logger } = options;
  const { resilience } = config;
  const keyPrefix = config.redis.keyPrefix;
  if (config.redis.url && !options.redis) {
    throw new Error('redis.url is set but no Redis client was passed to buildGate');
  }
  const redis = config.redis.url ? options.redis : undefined;
  const breakers = new BreakerRegistry({
    store: options.breakerStore ?? breakerStoreFor({ redis, keyPrefix, logger, clock }),
    breaker: {
      consecutiveFailures: resilience.breaker.consecutiveFailures,
      minimumRequests: resilience.breaker.minimumRequests,
      windowMs: resilience.breaker.windowMs,
      coolDownMs: resilience.breaker.coolDownMs,
      ...(resilience.breaker.failureRateThreshold !== undefined
        ? { failureRateThreshold: resilience.breaker.failureRateThreshold }
        : {}),
    },
    listener: {
      onStateChange: (change) => {
        logger.warn({ breaker: change }, 'circuit breaker changed state');
        options.onBreakerChange?.(change);
      },
    },
  });

  const minRemainingFraction = resilience.minRemainingTokensFraction;
  let rateLimits: RateLimitTracker;
  let stopRefreshing = () => {};
  if (redis) {
    const shared = new SharedRateLimitTracker({
      store: new RedisRateLimitStore({ redis, keyPrefix }),
      logger,
      now: clock.now,
      minRemainingFraction,
    });
    stopRefreshing = shared.startRefreshing({
      intervalMs: options.rateLimitRefreshMs ?? SHARED_RATE_LIMIT_REFRESH_MS,
    });
    rateLimits = shared;
  } else {
    rateLimits = new RateLimitTracker({ minRemainingFraction });
  }

  const gate = new ResilientGate({
    breakers,
    rateLimits,
    clock,
    concurrency: {
      maxInFlight: resilience.maxInFlightPerDeployment,
      maxQueued: resilience.maxQueuedPerDeployment,
      queueWaitMs: resilience.queueWaitMs,
    },
    ...(options.isPaused ? { isPaused: options.isPaused } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  return {
    gate,
    breakers,
    rateLimits,
    shared: redis !== undefined,
    async close() {
      stopRefreshing();
      if (rateLimits instanceof SharedRateLimitTracker) await rateLimits.flush();
    },
  };
}

function breakerStoreFor(options: {
  redis: Redis | undefined;
  keyPrefix: string;
  logger: Logger;
  clock: Clock;
}): BreakerStore {
  const { redis, keyPrefix, logger, clock } = options;
  if (!redis) return new MemoryBreakerStore();
  return new FallbackBreakerStore({
    shared: new RedisBreakerStore({ redis, keyPrefix }),
    logger,
    now: clock.now,
  });
}
