import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { DEFAULT_PRICES, DEFAULT_PRICES_AS_OF } from '../cost/default-prices.js';
import { checkPrice, type ModelPrice } from '../cost/price-table.js';
import { checkShape } from './check-shape.js';
import { ConfigError } from './config-error.js';
import { contractsDirOf } from './contracts-dir.js';
import type { DeploymentConfig, GatewayConfig, ProviderConfig } from './config-types.js';
import { DEFAULT_CONFIG_YAML } from './default-config.js';
import { expandEnv } from './expand-env.js';
import { quoteLabel, taskTypeProblem } from './task-type-label.js';
import { normaliseProviders, type RawProvider } from './normalise-providers.js';
import {
  normaliseFeatureSections,
  SectionError,
  type RawFeatureSections,
} from './feature-sections.js';
import { checkTierOrder, defaultTaskTypes } from './tier-ladder.js';

export { ConfigError };

/** The package root, where the shipped contracts directory lives. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LoadConfigOptions {
  /** An explicit file (`--config`); missing is then an error. */
  path?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface LoadedConfig {
  config: GatewayConfig;
  /** The file read, or `embedded default`. */
  source: string;
  /** Providers left out because their key expanded to nothing. */
  skippedProviders: string[];
}

/**
 * Reads, expands, validates and normalises the configuration: the explicit
 * path, else `SWITCHYARD_CONFIG`, else `switchyard.yaml` in the working
 * directory, else the embedded default. Throws `ConfigError` naming the key.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.path ?? env.SWITCHYARD_CONFIG;
  const candidate = explicit ? resolve(cwd, explicit) : resolve(cwd, 'switchyard.yaml');

  if (explicit && !existsSync(candidate)) {
    throw new ConfigError('', `configuration file ${candidate} does not exist`);
  }
  if (existsSync(candidate)) {
    let text: string;
    try {
      text = readFileSync(candidate, 'utf8');
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === 'EISDIR'
          ? 'is a directory'
          : (error as Error).message;
      throw new ConfigError('', `configuration file ${candidate} cannot be read: ${reason}`);
    }
    return parseConfig(text, {
      env,
      baseDir: dirname(candidate),
      source: candidate,
      checkPaths: true,
    });
  }
  return parseConfig(DEFAULT_CONFIG_YAML, {
    env,
    baseDir: PACKAGE_ROOT,
    // The embedded default's data files go where the command runs, not into the package.
    dataDir: cwd,
    source: 'embedded default',
    demoWhenKeyless: true,
  });
}

export interface ParseConfigOptions {
  env: NodeJS.ProcessEnv;
  /** Relative paths in the file (contracts_dir) resolve against this. */
  baseDir: string;
  /**
   * Where relative paths of data files (audit log, keys, spool) resolve;
   * default `baseDir`.
   */
  dataDir?: string;
  source: string;
  /**
   * Whether a `contracts_dir` the text names must exist; `loadConfig` sets it
   * for a configuration file (a typo must not start a gateway that knows no
   * contract).
   */
  checkPaths?: boolean;
  /**
   * Whether `demo` left out means `auto` (the embedded default: a first run
   * with nothing set up gets the simulator) rather than `false`.
   */
  demoWhenKeyless?: boolean;
}

export function parseConfig(text: string, options: ParseConfigOptions): LoadedConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    // The parser's message ends with the offending line quoted, which may be
    // an inline `api_key`; its first line already says where.
    // An unresolved alias is named after the `*`, and `api_key: *sk-…` is a
    // typo that makes a key one: the name is left out.
    const [first = ''] = (error as Error).message
      .split('\n')
      .map((line) => line.replace(/^(Unresolved alias[^:]*): .*$/, '$1'));
    const where =
      error instanceof YAMLParseError && !/ at line \d/.test(first)
        ? ` (line ${error.linePos?.[0]?.line})`
        : '';
    throw new ConfigError('', `not valid YAML: ${first.replace(/:$/, '')}${where}`);
  }
  const expanded = expandEnv(raw, options.env);
  checkShape(expanded);
  return normalise(expanded as RawConfig, options);
}

interface RawDeployment {
  provider: string;
  model: string;
  context_window?: number;
  max_prompt_tokens?: number;
  cost_per_request_usd?: number;
}

interface RawResilience {
  breaker?: {
    consecutive_failures?: number;
    failure_rate_threshold?: number;
    minimum_requests?: number;
    window_ms?: number;
    cool_down_ms?: number;
  };
  min_remaining_tokens_fraction?: number;
  max_in_flight_per_deployment?: number;
  max_queued_per_deployment?: number;
  queue_wait_ms?: number;
}

interface RawPrice {
  input_per_million_usd: number;
  output_per_million_usd: number;
  cached_input_per_million_usd?: number;
  cache_write_per_million_usd?: number;
  context_window?: number;
  reasoning?: boolean;
}

interface RawConfig extends RawFeatureSections {
  server?: { host?: string; port?: number; body_limit_bytes?: number; region?: string };
  providers: Record<string, RawProvider>;
  tiers: Record<string, RawDeployment[]>;
  tier_order?: string[];
  fallback_tier?: string;
  resilience?: RawResilience;
  default_tier?: string;
  task_types?: Record<string, string>;
  retry?: { max_retries?: number; base_delay_ms?: number; max_delay_ms?: number };
  deadline_ms?: number;
  max_output_tokens?: number;
  cost?: { max_cost_usd_per_request?: number };
  contracts_dir?: string;
  prices?: { as_of?: string; models?: Record<string, RawPrice> };
  logging?: { level?: string };
  demo?: 'auto' | boolean;
}

function normalise(raw: RawConfig, options: ParseConfigOptions): LoadedConfig {
  const prices = normalisePrices(raw.prices);
  const { providers, skipped } = normaliseProviders(raw.providers, options.baseDir);
  const tierOrder =
    raw.tier_order ?? Object.keys(raw.tiers).filter((tier) => tier !== raw.fallback_tier);
  checkTierOrder(tierOrder, raw.tiers, raw.fallback_tier);

  const fallbackTier = raw.fallback_tier;
  if (fallbackTier !== undefined && !Object.hasOwn(raw.tiers, fallbackTier)) {
    throw new ConfigError('fallback_tier', `unknown tier "${fallbackTier}"`);
  }
  if (fallbackTier !== undefined && tierOrder.includes(fallbackTier)) {
    throw new ConfigError('tier_order', `must not list the fallback tier "${fallbackTier}"`);
  }
  // No prototype: tier and task names are looked up as keys, and a name such
  // as `constructor` must not find Object.prototype's.
  const allTiers: Record<string, DeploymentConfig[]> = Object.create(null);
  for (const [tier, deployments] of Object.entries(raw.tiers)) {
    const fallback = tier === fallbackTier;
    allTiers[tier] = normaliseTier({ tier, deployments, providers, prices, fallback });
  }
  const defaultTier = raw.default_tier ?? (allTiers.mid ? 'mid' : tierOrder[0]!);
  if (!Object.hasOwn(allTiers, defaultTier))
    throw new ConfigError('default_tier', `unknown tier "${defaultTier}"`);
  const taskTypes: Record<string, string> = Object.assign(
    Object.create(null),
    raw.task_types ?? defaultTaskTypes(allTiers),
  );
  for (const [taskType, tier] of Object.entries(taskTypes)) {
    // A name no request could send would map nothing.
    const problem = taskTypeProblem(taskType);
    if (problem) throw new ConfigError(`task_types.${quoteLabel(taskType)}`, problem);
    if (!Object.hasOwn(allTiers, tier)) {
      throw new ConfigError(`task_types.${taskType}`, `unknown tier "${tier}"`);
    }
  }

  // Left out of a file, demo is false: a key that failed to reach the process
  // must not turn into simulated answers. Only the embedded default (and a
  // file that writes `demo: auto`) simulates when no key is set.
  const demoSetting = raw.demo ?? (options.demoWhenKeyless ? 'auto' : false);
  // Outside demo mode, deployments of providers without a key are left out.
  const keyed: Record<string, DeploymentConfig[]> = Object.create(null);
  for (const [tier, list] of Object.entries(allTiers)) {
    keyed[tier] = list.filter((d) => !skipped.includes(d.provider));
  }
  const usable = Object.values(keyed).some((list) => list.length > 0);
  if (!usable && demoSetting === false) {
    throw new ConfigError(
      'providers',
      `no provider has an API key (${skipped.join(', ')}: none set); set one, or ` +
        '`demo: true` to serve every tier from the built-in simulator',
    );
  }
  const demo = demoSetting === true || (demoSetting === 'auto' && !usable);
  const retry = {
    maxRetries: raw.retry?.max_retries ?? 2,
    baseDelayMs: raw.retry?.base_delay_ms ?? 500,
    maxDelayMs: raw.retry?.max_delay_ms ?? 8000,
  };
  const config: GatewayConfig = {
    server: {
      host: raw.server?.host ?? '127.0.0.1',
      port: raw.server?.port ?? 8080,
      bodyLimitBytes: raw.server?.body_limit_bytes ?? 1024 * 1024,
      region: raw.server?.region ?? options.env.AWS_REGION ?? 'us-east-1',
    },
    providers,
    tiers: demo ? allTiers : keyed,
    tierOrder,
    fallbackTier,
    resilience: normaliseResilience(raw.resilience),
    defaultTier,
    taskTypes,
    retry,
    deadlineMs: raw.deadline_ms ?? 30_000,
    maxOutputTokens: raw.max_output_tokens ?? 512,
    cost: { maxCostUsdPerRequest: raw.cost?.max_cost_usd_per_request ?? 0.05 },
    contractsDir: contractsDirOf(raw.contracts_dir, options),
    prices,
    logging: { level: raw.logging?.level ?? 'info' },
    demo,
    ...featureSections(raw, options.dataDir ?? options.baseDir),
  };
  return { config, source: options.source, skippedProviders: skipped };
}

function featureSections(raw: RawConfig, baseDir: string) {
  try {
    return normaliseFeatureSections(raw, { baseDir });
  } catch (error) {
    if (error instanceof SectionError) throw new ConfigError(error.key, error.message);
    throw error;
  }
}

function normaliseTier(options: {
  tier: string;
  deployments: RawDeployment[];
  providers: Record<string, ProviderConfig>;
  prices: GatewayConfig['prices'];
  /** Fallback deployments are self-hosted: no price entry means zero per token. */
  fallback: boolean;
}): DeploymentConfig[] {
  const { tier, deployments, providers, prices, fallback } = options;
  const result: DeploymentConfig[] = [];
  deployments.forEach((d, index) => {
    const path = `tiers.${tier}[${index}]`;
    const provider = providers[d.provider];
    if (!provider) {
      throw new ConfigError(`${path}.provider`, `unknown provider "${d.provider}"`);
    }
    // An in-process model is self-hosted wherever it serves.
    const selfHosted = fallback || provider.kind === 'llama';
    if (!prices.models[d.model] && selfHosted) prices.models[d.model] = FREE;
    if (!prices.models[d.model]) {
      throw new ConfigError(
        `${path}.model`,
        `no price for "${d.model}"; add it under prices.models`,
      );
    }
    result.push({
      id: `${tier}/${d.provider}/${d.model}`,
      tier,
      provider: d.provider,
      model: d.model,
      contextWindow:
        d.context_window ??
        prices.models[d.model]?.contextWindow ??
        provider.llama?.contextSizeTokens,
      maxPromptTokens: d.max_prompt_tokens,
      costPerRequestUsd: d.cost_per_request_usd ?? 0,
    });
  });
  return result;
}

const FREE: ModelPrice = {
  inputPerMillionUsd: 0,
  cachedInputPerMillionUsd: 0,
  cacheWritePerMillionUsd: 0,
  outputPerMillionUsd: 0,
  reasoning: false,
};

function normaliseResilience(raw: RawResilience | undefined): GatewayConfig['resilience'] {
  const breaker = raw?.breaker;
  return {
    breaker: {
      consecutiveFailures: breaker?.consecutive_failures ?? 3,
      failureRateThreshold: breaker?.failure_rate_threshold,
      minimumRequests: breaker?.minimum_requests ?? 10,
      windowMs: breaker?.window_ms ?? 60_000,
      coolDownMs: breaker?.cool_down_ms ?? 300_000,
    },
    minRemainingTokensFraction: raw?.min_remaining_tokens_fraction ?? 0,
    maxInFlightPerDeployment: raw?.max_in_flight_per_deployment ?? 0,
    maxQueuedPerDeployment: raw?.max_queued_per_deployment ?? 100,
    queueWaitMs: raw?.queue_wait_ms ?? 1_000,
  };
}

function normalisePrices(raw: RawConfig['prices']): GatewayConfig['prices'] {
  const models: Record<string, ModelPrice> = { ...DEFAULT_PRICES };
  for (const [model, p] of Object.entries(raw?.models ?? {})) {
    const price: ModelPrice = {
      inputPerMillionUsd: p.input_per_million_usd,
      cachedInputPerMillionUsd: p.cached_input_per_million_usd ?? p.input_per_million_usd,
      cacheWritePerMillionUsd: p.cache_write_per_million_usd ?? p.input_per_million_usd,
      outputPerMillionUsd: p.output_per_million_usd,
      contextWindow: p.context_window,
      reasoning: p.reasoning ?? false,
    };
    const problem = checkPrice(price);
    if (problem) {
      throw new ConfigError(`prices.models.${model}.${snake(problem.field)}`, problem.message);
    }
    models[model] = price;
  }
  return { asOf: raw?.as_of ?? DEFAULT_PRICES_AS_OF, models };
}

function snake(field: string): string {
  return field
    .replace(/PerMillionUsd$/, '_per_million_usd')
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
