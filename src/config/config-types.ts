import type { ModelPrice } from '../cost/price-table.js';

/** The validated, normalised configuration the gateway runs on. */
export interface GatewayConfig {
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
  kind: 'openai' | 'anthropic';
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
