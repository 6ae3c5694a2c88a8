import type { GatewayConfig } from '../config/config-types.js';
import type { Logger } from '../logging/logger.js';
import { BreakerRegistry } from '../resilience/breaker-registry.js';
import { MemoryBreakerStore, type BreakerStore } from '../resilience/breaker-store.js';
import type { BreakerStateChange } from '../resilience/circuit-breaker.js';
import { RateLimitTracker } from '../resilience/rate-limit-tracker.js';
import type { DeploymentConfig } from '../config/config-types.js';
import { ResilientGate, type GateEvent } from '../routing/resilient-gate.js';
import type { Clock } from '../util/clock.js';

export interface BuiltGate {
  gate: ResilientGate;
  breakers: BreakerRegistry;
  rateLimits: RateLimitTracker;
}

/**
 * Breakers, rate-limit tracking and in-flight caps from the configuration.
 * Breaker state lives in `breakerStore` (memory by default; Redis shares it
 * between replicas).
 */
export function buildGate(options: {
  config: GatewayConfig;
  clock: Clock;
  logger: Logger;
  breakerStore?: BreakerStore;
  isPaused?: (deployment: DeploymentConfig) => boolean;
  onEvent?: (event: GateEvent) => void;
  onBreakerChange?: (change: BreakerStateChange) => void;
}): BuiltGate {
  const { config, clock, logger } = options;
  const { resilience } = config;
  const breakers = new BreakerRegistry({
    store: options.breakerStore ?? new MemoryBreakerStore(),
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
  const rateLimits = new RateLimitTracker({
    minRemainingFraction: resilience.minRemainingTokensFraction,
  });
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
  return { gate, breakers, rateLimits };
}
