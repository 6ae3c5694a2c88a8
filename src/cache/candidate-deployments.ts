import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import { deploymentsOf, escalationTiers, type RoutePlan } from '../routing/route-plan.js';

/**
 * Every deployment that may serve a request, in the order the engine would
 * try them: its tiers from the start tier up, then the fallback tier; only
 * the pinned model's deployments when the request named one. `allowedTiers`
 * (a key's tiers; empty or absent allows all) leaves out the others.
 *
 * This mirrors the engine's walk (`routing/walk.ts`) rather than sharing it;
 * a change to how the engine picks tiers must be made here too.
 */
export function candidateDeployments(options: {
  config: GatewayConfig;
  plan: RoutePlan;
  allowedTiers?: readonly string[] | undefined;
}): DeploymentConfig[] {
  const { config, plan } = options;
  const pinnedModel = plan.pinnedModel;
  const tiers = pinnedModel ? [plan.startTier] : escalationTiers(config, plan.startTier);
  if (!pinnedModel && config.fallbackTier) tiers.push(config.fallbackTier);

  const allowed = options.allowedTiers?.length ? new Set(options.allowedTiers) : undefined;
  return tiers
    .filter((tier) => !allowed || allowed.has(tier))
    .flatMap((tier) => deploymentsOf(config, { tier, pinnedModel }));
}
