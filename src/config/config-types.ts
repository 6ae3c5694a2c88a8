import type { AuditConfig } from '../audit/audit-config.js';
import type { ModelPrice } from '../cost/price-table.js';
import type { AdminConfig, KeysConfig } from '../keys/keys-config.js';
import type { PolicyConfig } from '../policies/policy-config.js';
import type { ReportConfig } from '../report/report-config.js';

/** The validated, normalised configuration the gateway runs on. */
export interface GatewayConfig extends FeatureConfig {
  server: { host: string; port: number; bodyLimitBytes: number; region: string };
  providers: Record<string, ProviderConfig>;
  tiers: Record<string, DeploymentConfig[]>;
  /** Tier names from lightest to heaviest; escalation walks this list. */
  tierOrder: string[];
  /**
   * The last-resort tier (self-hosted servers) used when no cloud deployment
   * can serve: all open, rate-limited or failing. Not in `tierOrder`.
   */
  fallbackTier: string | undefined;
  resilience: ResilienceConfig;
  defaultTier: string;
  taskTypes: Record<string, string>;
  retry: { maxRetries: number; baseDelayMs: number; maxDelayMs: number };
  deadlineMs: number;
  maxOutputTokens: number;
  cost: { maxCostUsdPerRequest: number };
  contractsDir: string;
  prices: { asOf: string; models: Record<string, ModelPrice> };
  logging: { level: string };
  /** True when the simulator stands in for every provider. */
  demo: boolean;
}

export interface ProviderConfig {
  name: string;
  kind: 'openai' | 'anthropic' | 'llama';
  /** Empty for kind `llama`, whose model runs in this process. */
  baseUrl: string;
  /** Never logged or echoed; redacted by the logger. */
  apiKey: string | undefined;
  /** Client request headers passed on to this upstream (e.g. x-sim-scenario). */
  forwardHeaders: string[];
  timeouts: { connectMs: number; firstByteMs: number; totalMs: number };
  /** Sockets per origin, and how long an idle one is kept alive. */
  pool: { connections: number; keepAliveTimeoutMs: number };
  /**
   * Whether the upstream honours OpenAI's `json_schema` response format;
   * when false the schema goes into the system prompt with JSON mode.
   */
  jsonSchema: boolean;
  /** Set for kind `llama` only: the local model and how llama.cpp runs it. */
  llama?: LlamaProviderConfig;
}

/** An in-process GGUF model (provider kind `llama`). */
export interface LlamaProviderConfig {
  /** Absolute path of the GGUF file; the loader checked that it exists. */
  modelPath: string;
  /** Tokens one attempt may hold, prompt and answer; capped at the model's trained size. */
  contextSizeTokens: number;
  /** CPU threads llama.cpp decodes with. */
  threads: number;
  /** Attempts decoded at once; further ones wait their turn. */
  sequences: number;
}

export interface DeploymentConfig {
  /** `tier/provider/model`, unique, used for breakers, metrics and logs. */
  id: string;
  tier: string;
  provider: string;
  model: string;
  contextWindow: number | undefined;
  /** Prompts estimated above this many tokens are not sent here. */
  maxPromptTokens: number | undefined;
  /** A fixed amortised cost added to every attempt (self-hosted servers). */
  costPerRequestUsd: number;
}

export interface ResilienceConfig {
  breaker: {
    consecutiveFailures: number;
    failureRateThreshold: number | undefined;
    minimumRequests: number;
    windowMs: number;
    coolDownMs: number;
  };
  /** Route around a deployment whose remaining tokens fall below this share of its limit. */
  minRemainingTokensFraction: number;
  /** 0 means no cap. */
  maxInFlightPerDeployment: number;
  maxQueuedPerDeployment: number;
  queueWaitMs: number;
}

/** The sections of the gateway's memory and self-observation. */
export interface FeatureConfig {
  /**
   * Shared state for replicas. Without a URL, breakers, rate-limit windows,
   * budgets and the cache live in this process only.
   */
  redis: { url: string | undefined; keyPrefix: string; commandTimeoutMs: number };
  /** The exact-match response cache of validated answers. */
  cache: { enabled: boolean; backend: 'memory' | 'redis'; ttlMs: number; maxEntries: number };
  audit: AuditConfig;
  /** Where virtual API keys live; with none stored, the gateway is open. */
  keys: KeysConfig;
  /** The admin API's token; without one the admin API is off. */
  admin: AdminConfig;
  report: ReportConfig;
  policies: PolicyConfig;
}
