import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import { GatewayError } from '../errors/gateway-error.js';

/** Where a request starts: a tier to escalate from, or one pinned model. */
export interface RoutePlan {
  startTier: string;
  /** When the caller named a model, only deployments of it serve. */
  pinnedModel?: string;
}

/** The tier a task type maps to; unknown task types go to the default tier. */
export function tierForTask(config: GatewayConfig, taskType: string): string {
  // Own keys only: `constructor` is an unknown task type, not Object's.
  return Object.hasOwn(config.taskTypes, taskType)
    ? config.taskTypes[taskType]!
    : config.defaultTier;
}

/**
 * Resolves the `model` of a chat completion: a tier name, `auto` (task type
 * from the `x-task-type` header), or a configured model name. 404 otherwise.
 */
export function planForModel(
  config: GatewayConfig,
  options: { model: string; taskType: string | undefined },
): RoutePlan {
  const { model, taskType } = options;
  if (model === 'auto') {
    return { startTier: taskType ? tierForTask(config, taskType) : config.defaultTier };
  }
  if (Object.hasOwn(config.tiers, model)) return { startTier: model };
  for (const tier of config.tierOrder) {
    if (config.tiers[tier]?.some((d) => d.model === model)) {
      return { startTier: tier, pinnedModel: model };
    }
  }
  throw new GatewayError('not_found', `model: no tier or configured model named "${model}"`, {
    details: { field: 'model' },
  });
}

/** The tiers a request may use, lightest first, from its start tier upwards. */
export function escalationTiers(config: GatewayConfig, startTier: string): string[] {
  const index = config.tierOrder.indexOf(startTier);
  return index < 0 ? [startTier] : config.tierOrder.slice(index);
}

export function deploymentsOf(
  config: GatewayConfig,
  options: { tier: string; pinnedModel?: string | undefined },
): DeploymentConfig[] {
  const all = Object.hasOwn(config.tiers, options.tier) ? config.tiers[options.tier]! : [];
  return options.pinnedModel ? all.filter((d) => d.model === options.pinnedModel) : all;
}
