import {
  AUDIT_CONFIG_SCHEMA,
  normaliseAuditConfig,
  type RawAuditConfig,
} from '../audit/audit-config.js';
import {
  ADMIN_CONFIG_SCHEMA,
  KEYS_CONFIG_SCHEMA,
  normaliseAdminConfig,
  normaliseKeysConfig,
  type RawAdminConfig,
  type RawKeysConfig,
} from '../keys/keys-config.js';
import { resolvePolicyConfig, type PolicyConfigInput } from '../policies/policy-config.js';
import {
  normaliseReportConfig,
  REPORT_CONFIG_SCHEMA,
  type RawReportConfig,
} from '../report/report-config.js';
import type { FeatureConfig } from './config-types.js';

/**
 * JSON Schema of the sections that switch on the gateway's memory and
 * its view of itself: shared state, the response cache, the audit log,
 * cost reports and the self-steering policies. `config-schema.ts` spreads
 * these into the file's schema.
 */
export const FEATURE_SECTIONS_SCHEMA = {
  redis: {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: { type: 'string', pattern: '^(rediss?://.*)?$' },
      key_prefix: { type: 'string', minLength: 1 },
      command_timeout_ms: { type: 'integer', minimum: 1 },
    },
  },
  cache: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean' },
      backend: { enum: ['memory', 'redis'] },
      ttl_ms: { type: 'integer', minimum: 0 },
      max_entries: { type: 'integer', minimum: 1 },
    },
  },
  audit: AUDIT_CONFIG_SCHEMA,
  keys: KEYS_CONFIG_SCHEMA,
  admin: ADMIN_CONFIG_SCHEMA,
  report: REPORT_CONFIG_SCHEMA,
  // Checked key by key by `resolvePolicyConfig`, whose messages name the key.
  policies: { type: 'object' },
} as const;

/** The feature sections as written, after the schema passed them. */
export interface RawFeatureSections {
  redis?: { url?: string; key_prefix?: string; command_timeout_ms?: number };
  cache?: {
    enabled?: boolean;
    backend?: 'memory' | 'redis';
    ttl_ms?: number;
    max_entries?: number;
  };
  audit?: RawAuditConfig;
  keys?: RawKeysConfig;
  admin?: RawAdminConfig;
  report?: RawReportConfig;
  policies?: PolicyConfigInput;
}

/** Raised with the key path at fault; the loader turns it into a `ConfigError`. */
export class SectionError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Fills in the defaults of the feature sections. With no `redis.url` every
 * piece of state stays in this process; with one, the cache defaults to
 * Redis too, so replicas share answers.
 */
export function normaliseFeatureSections(
  raw: RawFeatureSections,
  options: { baseDir: string },
): FeatureConfig {
  // An empty URL (an unset `${REDIS_URL:-}`) means no Redis.
  const redisUrl = raw.redis?.url?.trim() || undefined;
  const backend = raw.cache?.backend ?? (redisUrl ? 'redis' : 'memory');
  if (backend === 'redis' && !redisUrl) {
    throw new SectionError('cache.backend', 'is redis, but redis.url is not set');
  }
  return {
    redis: {
      url: redisUrl,
      keyPrefix: raw.redis?.key_prefix ?? 'switchyard:',
      commandTimeoutMs: raw.redis?.command_timeout_ms ?? 2000,
    },
    cache: {
      enabled: raw.cache?.enabled ?? true,
      backend,
      ttlMs: raw.cache?.ttl_ms ?? 10 * 60_000,
      maxEntries: raw.cache?.max_entries ?? 10_000,
    },
    audit: normaliseAuditConfig(raw.audit, options),
    keys: normaliseKeysConfig(raw.keys, options),
    admin: normaliseAdminConfig(raw.admin),
    report: normaliseReportConfig(raw.report),
    policies: resolvePolicies(raw.policies),
  };
}

const POLICY_SECTIONS = new Set(['latency', 'schema', 'cost_cap', 'webhook_url']);

function resolvePolicies(raw: PolicyConfigInput | undefined): FeatureConfig['policies'] {
  for (const key of Object.keys(raw ?? {})) {
    if (!POLICY_SECTIONS.has(key))
      throw new SectionError(`policies.${key}`, 'is not a known setting');
  }
  try {
    return resolvePolicyConfig(raw ?? {});
  } catch (error) {
    // Its messages read `policies.latency.threshold_ms: must be …`.
    const message = (error as Error).message;
    const colon = message.indexOf(': ');
    if (colon < 0) throw new SectionError('policies', message);
    throw new SectionError(message.slice(0, colon), message.slice(colon + 2));
  }
}
