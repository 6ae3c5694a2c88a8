import type { GatewayConfig, ProviderConfig } from '../config/config-types.js';

/** The request header a demo user sets to pick a simulator scenario. */
export const SCENARIO_HEADER = 'x-sim-scenario';

/**
 * Points every provider at the built-in simulator, keeping tiers, models and
 * prices as configured, so demo mode takes the same path as production:
 * the same provider clients over loopback HTTP.
 */
export function toDemoConfig(config: GatewayConfig, simulatorUrl: string): GatewayConfig {
  const providers: Record<string, ProviderConfig> = {};
  for (const [name, provider] of Object.entries(config.providers)) {
    // An in-process model needs no upstream; it serves as configured.
    if (provider.kind === 'llama') {
      providers[name] = provider;
      continue;
    }
    providers[name] = {
      ...provider,
      baseUrl: provider.kind === 'anthropic' ? simulatorUrl : `${simulatorUrl}/v1`,
      apiKey: 'demo',
      forwardHeaders: [...new Set([...provider.forwardHeaders, SCENARIO_HEADER])],
    };
  }
  return { ...config, providers, demo: true };
}
