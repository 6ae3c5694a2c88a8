/** The self-steering policies' settings, resolved, in the gateway's units. */
export interface PolicyConfig {
  latency: {
    enabled: boolean;
    /** The p95 a tier may reach before allowed task types go one tier cheaper. */
    thresholdMs: number;
    /** Per-tier thresholds that replace `thresholdMs`. */
    tierThresholdsMs: Record<string, number>;
    quantile: number;
    windowMs: number;
    /** Fewer samples than this in the window decide nothing. */
    minSamples: number;
    /** A degraded tier recovers once its p95 is at or below threshold × this. */
    recoveryRatio: number;
    /** Task types that may be served one tier cheaper. */
    taskTypes: string[];
  };
  schema: {
    enabled: boolean;
    /** A model whose failure rate passes this share is paused. */
    maxFailureRate: number;
    windowMs: number;
    minSamples: number;
    /** How long a paused model waits between probe requests. */
    probeIntervalMs: number;
  };
  costCap: {
    enabled: boolean;
    /** This many cost-cap skips of one deployment in the window open its breaker. */
    breaches: number;
    windowMs: number;
    /** How long the breaker is held open. */
    openMs: number;
  };
  /** Slack-compatible incoming webhook told of every change; none by default. */
  webhookUrl: string | undefined;
}

/** The `policies:` section of the YAML configuration, as written. */
export interface PolicyConfigInput {
  latency?: {
    enabled?: boolean;
    threshold_ms?: number;
    tier_thresholds_ms?: Record<string, number>;
    quantile?: number;
    window_ms?: number;
    min_samples?: number;
    recovery_ratio?: number;
    task_types?: string[];
  };
  schema?: {
    enabled?: boolean;
    max_failure_rate?: number;
    window_ms?: number;
    min_samples?: number;
    probe_interval_ms?: number;
  };
  cost_cap?: {
    enabled?: boolean;
    breaches?: number;
    window_ms?: number;
    open_ms?: number;
  };
  webhook_url?: string;
}

/**
 * Defaults: p95 over 200 ms for 5 minutes (20 samples at least) marks a
 * tier slow, which sends the task types listed in `task_types` (none until
 * configured) one tier cheaper;
 * a schema failure rate over 2% in 15 minutes (50 answers at least) pauses
 * a model, probed once a minute; when switched on, 5 cost-cap skips of a
 * deployment within 10 minutes hold its breaker open for 5 minutes.
 */
export const DEFAULT_POLICY_CONFIG: PolicyConfig = {
  latency: {
    enabled: true,
    thresholdMs: 200,
    tierThresholdsMs: {},
    quantile: 0.95,
    windowMs: 5 * 60_000,
    minSamples: 20,
    recoveryRatio: 0.9,
    // None by default: a hosted model's p95 is well above 200 ms, so a default
    // list would quietly move those task types to a cheaper tier for good.
    // Operators name the task types whose contracts a cheaper tier meets.
    taskTypes: [],
  },
  schema: {
    enabled: true,
    maxFailureRate: 0.02,
    windowMs: 15 * 60_000,
    minSamples: 50,
    probeIntervalMs: 60_000,
  },
  // Off by default: every breach comes from a request (its prompt's length and
  // the cap), so on a shared gateway one caller's long prompts would close a
  // deployment for everyone. Worth turning on where callers are trusted.
  costCap: { enabled: false, breaches: 5, windowMs: 10 * 60_000, openMs: 5 * 60_000 },
  webhookUrl: undefined,
};

/**
 * Resolves the `policies:` section over the defaults. Throws an Error whose
 * message names the key at fault, in the form the configuration loader uses
 * (`policies.latency.threshold_ms: must be a positive number`).
 */
export function resolvePolicyConfig(input: PolicyConfigInput = {}): PolicyConfig {
  const d = DEFAULT_POLICY_CONFIG;
  const l = input.latency ?? {};
  const s = input.schema ?? {};
  const c = input.cost_cap ?? {};
  const at = (key: string) => `policies.${key}`;
  return {
    latency: {
      enabled: flag(l.enabled, d.latency.enabled, at('latency.enabled')),
      thresholdMs: positive(l.threshold_ms, d.latency.thresholdMs, at('latency.threshold_ms')),
      tierThresholdsMs: thresholds(l.tier_thresholds_ms, at('latency.tier_thresholds_ms')),
      quantile: share(l.quantile, d.latency.quantile, at('latency.quantile')),
      windowMs: positive(l.window_ms, d.latency.windowMs, at('latency.window_ms')),
      minSamples: count(l.min_samples, d.latency.minSamples, at('latency.min_samples')),
      recoveryRatio: share(l.recovery_ratio, d.latency.recoveryRatio, at('latency.recovery_ratio')),
      taskTypes: names(l.task_types, d.latency.taskTypes, at('latency.task_types')),
    },
    schema: {
      enabled: flag(s.enabled, d.schema.enabled, at('schema.enabled')),
      maxFailureRate: share(
        s.max_failure_rate,
        d.schema.maxFailureRate,
        at('schema.max_failure_rate'),
      ),
      windowMs: positive(s.window_ms, d.schema.windowMs, at('schema.window_ms')),
      minSamples: count(s.min_samples, d.schema.minSamples, at('schema.min_samples')),
      probeIntervalMs: positive(
        s.probe_interval_ms,
        d.schema.probeIntervalMs,
        at('schema.probe_interval_ms'),
      ),
    },
    costCap: {
      enabled: flag(c.enabled, d.costCap.enabled, at('cost_cap.enabled')),
      breaches: count(c.breaches, d.costCap.breaches, at('cost_cap.breaches')),
      windowMs: positive(c.window_ms, d.costCap.windowMs, at('cost_cap.window_ms')),
      openMs: positive(c.open_ms, d.costCap.openMs, at('cost_cap.open_ms')),
    },
    webhookUrl: webhook(input.webhook_url, at('webhook_url')),
  };
}

function flag(value: unknown, fallback: boolean, key: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`${key}: must be true or false`);
  return value;
}

function positive(value: unknown, fallback: number, key: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${key}: must be a positive number`);
  }
  return value;
}

function count(value: unknown, fallback: number, key: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new Error(`${key}: must be a whole number >= 1`);
  }
  return value as number;
}

function share(value: unknown, fallback: number, key: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new Error(`${key}: must be a number in (0, 1]`);
  }
  return value;
}

function names(value: unknown, fallback: string[], key: string): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`${key}: must be a list of task type names`);
  }
  return [...(value as string[])];
}

function thresholds(value: unknown, key: string): Record<string, number> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${key}: must map tier names to milliseconds`);
  }
  const resolved: Record<string, number> = {};
  for (const [tier, ms] of Object.entries(value))
    resolved[tier] = positive(ms, 0, `${key}.${tier}`);
  return resolved;
}

function webhook(value: unknown, key: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^https?:\/\//.test(value)) {
    throw new Error(`${key}: must be an http(s) URL`);
  }
  return value;
}
