import type { Redis } from 'ioredis';
import type { AuditWriter } from '../audit/audit-writer.js';
import { startAuditLog } from '../audit/start-audit-log.js';
import { MemoryResponseCache } from '../cache/memory-response-cache.js';
import { RedisResponseCache } from '../cache/redis-response-cache.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { GatewayConfig } from '../config/config-types.js';
import { RequestAccess } from '../keys/request-access.js';
import type { Logger } from '../logging/logger.js';
import { PolicyEngine } from '../policies/policy-engine.js';
import { createRedisClient } from '../state/redis-client.js';
import { Telemetry } from '../telemetry/telemetry.js';
import type { Clock } from '../util/clock.js';

/** What the request path uses besides the engine: each piece optional. */
export interface GatewayServices {
  telemetry: Telemetry;
  policies: PolicyEngine;
  /** Absent when `cache.enabled` is false. */
  cache: ResponseCache | undefined;
  /** Absent when `audit.enabled` is false. */
  audit: AuditWriter | undefined;
  /** Keys, tiers and budgets; open (everyone admitted) while no key exists. */
  access: RequestAccess;
  /** One connection for every shared store; absent without `redis.url`. */
  redis: Redis | undefined;
}

/**
 * Opens the services the configuration asks for. The caller closes them
 * with `closeGatewayServices` after the HTTP server stopped taking requests.
 */
export async function openGatewayServices(options: {
  config: GatewayConfig;
  logger: Logger;
  clock: Clock;
}): Promise<GatewayServices> {
  const { config, logger, clock } = options;
  const redis = config.redis.url
    ? await createRedisClient({
        url: config.redis.url,
        commandTimeoutMs: config.redis.commandTimeoutMs,
        logger,
      })
    : undefined;
  const telemetry = new Telemetry({ region: config.server.region, logger });
  const policies = new PolicyEngine({
    tierOrder: config.tierOrder,
    fallbackTier: config.fallbackTier,
    config: config.policies,
    now: clock.now,
    logger,
    onChange: (change) => telemetry.metrics.recordPolicyChange(change),
  });
  telemetry.addObserver(policies);
  const access = await RequestAccess.open({ config, logger, redis, now: clock.now });
  const audit = await startAuditLog({ config: config.audit, logger, clock });
  const cache = openCache({ config, logger, redis });
  return { telemetry, policies, cache, audit, access, redis };
}

function openCache(options: {
  config: GatewayConfig;
  logger: Logger;
  redis: Redis | undefined;
}): ResponseCache | undefined {
  const { config, logger, redis } = options;
  if (!config.cache.enabled) return undefined;
  if (config.cache.backend === 'redis' && redis) {
    return new RedisResponseCache({
      redis,
      keyPrefix: `${config.redis.keyPrefix}cache:`,
      defaultTtlMs: config.cache.ttlMs,
      logger,
    });
  }
  return new MemoryResponseCache({
    maxEntries: config.cache.maxEntries,
    defaultTtlMs: config.cache.ttlMs,
  });
}

/** Flushes the audit log and the telemetry, then lets go of Redis. */
export async function closeGatewayServices(services: GatewayServices): Promise<void> {
  await services.audit?.close();
  await services.access.close();
  await services.policies.flush();
  await services.telemetry.shutdown();
  if (services.redis) await services.redis.quit().catch(() => services.redis?.disconnect());
}
