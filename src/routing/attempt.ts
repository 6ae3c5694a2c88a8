import type { FailureReason, Usage } from '../providers/types.js';

/** How one attempt ended, as the envelope and the audit log report it. */
export type AttemptOutcome =
  | 'success'
  | 'schema_invalid'
  | 'invalid_json'
  | 'truncated'
  | 'refusal'
  | 'skipped_cost_cap'
  | FailureReason;

export interface AttemptRecord {
  tier: string;
  model: string;
  deploymentId: string;
  outcome: AttemptOutcome;
  latencyMs: number;
  /** What the attempt cost; estimated (see costEstimated) when usage was missing. */
  costUsd: number;
  /** True when `costUsd` was estimated because the provider sent no usage. */
  costEstimated: boolean;
  usage: Usage | null;
  /** Set for every outcome but success; never holds secrets or prompt text. */
  error?: string;
  status?: number;
}

/** An attempt's record: the deployment it went to, then how it went. */
export function attemptRecord(
  deployment: { tier: string; model: string; id: string },
  how: Omit<AttemptRecord, 'tier' | 'model' | 'deploymentId'>,
): AttemptRecord {
  return { tier: deployment.tier, model: deployment.model, deploymentId: deployment.id, ...how };
}
