import type { GatewayConfig } from '../config/config-types.js';
import { AnthropicClient } from '../providers/anthropic-client.js';
import type { HttpPools } from '../providers/http-pool.js';
import { OpenAiClient } from '../providers/openai-client.js';
import type { ProviderClient } from '../providers/types.js';

/** One client per configured provider, each on its origin's shared pool. */
export function buildProviders(options: {
  config: GatewayConfig;
  pools: HttpPools;
  now: () => number;
}): Map<string, ProviderClient> {
  const { config, pools, now } = options;
  const clients = new Map<string, ProviderClient>();
  for (const provider of Object.values(config.providers)) {
    const dispatcher = pools.get(provider.baseUrl, {
      connections: provider.pool.connections,
      keepAliveTimeoutMs: provider.pool.keepAliveTimeoutMs,
      connectTimeoutMs: provider.timeouts.connectMs,
      headersTimeoutMs: provider.timeouts.firstByteMs,
      bodyTimeoutMs: provider.timeouts.totalMs,
    });
    const common = { baseUrl: provider.baseUrl, apiKey: provider.apiKey, dispatcher, now };
    clients.set(
      provider.name,
      provider.kind === 'anthropic'
        ? new AnthropicClient(common)
        : new OpenAiClient({
            ...common,
            jsonSchema: provider.jsonSchema,
            isReasoningModel: (model) => config.prices.models[model]?.reasoning ?? false,
          }),
    );
  }
  return clients;
}
