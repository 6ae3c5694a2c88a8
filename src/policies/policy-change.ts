export type PolicyName = 'latency_downgrade' | 'schema_pause' | 'cost_cap_breaker';

/**
 * One change a policy made: `activated` when it starts steering (a tier
 * downgraded, a model paused, a breaker opened), `cleared` when it stops.
 */
export interface PolicyChange {
  policy: PolicyName;
  action: 'activated' | 'cleared';
  /** What it applies to: a tier, a model or a deployment id. */
  subject: string;
  /** One sentence a person on call can act on. */
  reason: string;
  atMs: number;
  /** The numbers behind the decision (p95, failure rate, counts). */
  details: Record<string, number | string>;
}

const HEADLINES: Record<PolicyName, Record<PolicyChange['action'], string>> = {
  latency_downgrade: {
    activated: 'tier is slow: sending allowed task types one tier cheaper',
    cleared: 'tier has recovered: routing as configured again',
  },
  schema_pause: {
    activated: 'model paused: too many answers fail their schema',
    cleared: 'model resumed',
  },
  cost_cap_breaker: {
    activated: 'breaker opened: repeated cost-cap breaches',
    cleared: 'breaker released',
  },
};

/** The change as one line of a Slack-compatible `{ text }` message. */
export function describeChange(change: PolicyChange): string {
  const headline = HEADLINES[change.policy][change.action];
  return `Switchyard ${change.policy} on ${change.subject}: ${headline}. ${change.reason}`;
}
