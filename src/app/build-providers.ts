import type { GatewayConfig, ProviderConfig } from '../config/config-types.js';
import type { Logger } from '../logging/logger.js';
import { AnthropicClient } from '../providers/anthropic-client.js';
import type { HttpPools } from '../providers/http-pool.js';
// Type-only imports of node-llama-cpp inside: the package itself is imported
// on demand by LlamaClient.load, so the gateway runs without it.
import { LlamaClient, type LlamaClientOptions } from '../providers/llama-client.js';
import { OpenAiClient } from '../providers/openai-client.js';
import type { ProviderClient } from '../providers/types.js';
import { registerProviderKey } from '../providers/classify-http-error.js';

export interface BuildProvidersOptions {
  config: GatewayConfig;
  pools: HttpPools;
  now: () => number;
}

/**
 * One client per configured HTTP provider, each on its origin's shared pool.
 * Providers of kind `llama` are left out, because loading a model takes time
 * and may fail: `loadProviders` adds them.
 */
export function buildProviders(options: BuildProvidersOptions): Map<string, ProviderClient> {
  const { config, pools, now } = options;
  const clients = new Map<string, ProviderClient>();
  for (const provider of Object.values(config.providers)) {
    if (provider.kind === 'llama') continue;
    const dispatcher = pools.get(provider.baseUrl, {
      connections: provider.pool.connections,
      keepAliveTimeoutMs: provider.pool.keepAliveTimeoutMs,
      connectTimeoutMs: provider.timeouts.connectMs,
      headersTimeoutMs: provider.timeouts.firstByteMs,
      bodyTimeoutMs: provider.timeouts.totalMs,
    });
    // Whatever an upstream quotes back of this key is removed before it reaches anyone.
    registerProviderKey(provider.apiKey);
    const common = { baseUrl: provider.baseUrl, apiKey: provider.apiKey, dispatcher, now };
    clients.set(
      provider.name,
      provider.kind === 'anthropic'
        ? new AnthropicClient(common)
        : new OpenAiClient({
            jsonSchema: provider.jsonSchema,
            isReasoningModel: (model) => config.prices.models[model]?.reasoning ?? false,
            ...common,
          }),
    );
  }
  return clients;
}

/** Every provider's client, and how to free the local models among them. */
export interface LoadedProviders {
  clients: Map<string, ProviderClient>;
  /**
   * Ends the local models' attempts in progress (as retryable `connection`
   * failures), then frees the models. The HTTP pools are closed by their owner.
   */
  close(): Promise<void>;
}

/**
 * The HTTP clients of `buildProviders`, plus a loaded model for each `llama`
 * provider that a deployment uses (an unused one is not loaded). Rejects with
 * a `LlamaLoadError` when node-llama-cpp, its prebuilt binary or the model
 * cannot be loaded, having freed whatever was loaded before, so start-up
 * stops with a message that says which.
 */
export async function loadProviders(
  options: BuildProvidersOptions & {
    logger?: Logger;
    /** Loads node-llama-cpp; tests replace it to play a host without the package. */
    importLlama?: LlamaClientOptions['importModule'];
  },
): Promise<LoadedProviders> {
  const { logger } = options;
  const clients = buildProviders(options);
  const loaded: LlamaClient[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(loaded.map((client) => client.close()));
  };
  try {
    for (const provider of llamaProvidersInUse(options.config)) {
      const client = await loadLlama({ provider, options });
      loaded.push(client);
      clients.set(provider.name, client);
      logger?.info(
        { provider: provider.name, context_size_tokens: client.contextSizeTokens },
        'llama model loaded',
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { clients, close };
}

function loadLlama(input: {
  provider: ProviderConfig;
  options: Parameters<typeof loadProviders>[0];
}): Promise<LlamaClient> {
  const { provider, options } = input;
  // The loader sets `llama` on every provider of kind llama.
  const settings = provider.llama!;
  return LlamaClient.load({
    modelPath: settings.modelPath,
    contextSizeTokens: settings.contextSizeTokens,
    threads: settings.threads,
    sequences: settings.sequences,
    now: options.now,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.importLlama ? { importModule: options.importLlama } : {}),
  });
}

function llamaProvidersInUse(config: GatewayConfig): ProviderConfig[] {
  const used = new Set<string>();
  for (const deployments of Object.values(config.tiers)) {
    for (const deployment of deployments) used.add(deployment.provider);
  }
  return Object.values(config.providers).filter(
    (provider) => provider.kind === 'llama' && used.has(provider.name),
  );
}
