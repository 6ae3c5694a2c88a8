/**
 * The tier ladder: the order escalation climbs, and which tier each of the
 * three built-in task types starts on when the configuration does not say.
 */
import { ConfigError } from './config-error.js';

/**
 * Without `task_types`: classification → cheap, extraction → mid and
 * reasoning → heavy, each only where the configuration has that tier.
 */
export function defaultTaskTypes(tiers: Record<string, unknown>): Record<string, string> {
  const defaults: Record<string, string> = {
    classification: 'cheap',
    extraction: 'mid',
    reasoning: 'heavy',
  };
  return Object.fromEntries(
    Object.entries(defaults).filter(([, tier]) => Object.hasOwn(tiers, tier)),
  );
}

export function checkTierOrder(
  order: string[],
  tiers: Record<string, unknown>,
  fallbackTier: string | undefined,
): void {
  order.forEach((tier, index) => {
    if (!Object.hasOwn(tiers, tier)) {
      throw new ConfigError(`tier_order[${index}]`, `unknown tier "${tier}"`);
    }
    // Escalation walks this list upwards: a second entry would lead back down.
    if (order.indexOf(tier) !== index) {
      throw new ConfigError(`tier_order[${index}]`, `lists tier "${tier}" a second time`);
    }
  });
  for (const tier of Object.keys(tiers)) {
    if (tier === fallbackTier) continue;
    if (!order.includes(tier)) throw new ConfigError('tier_order', `does not list tier "${tier}"`);
  }
}
