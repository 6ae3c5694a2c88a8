import type { DeploymentConfig } from '../config/config-types.js';
import { roundUsd } from '../cost/price-table.js';
import { percentile } from './percentile.js';
import type { PromptOutcome } from './replay-prompts.js';

/** How one deployment did on the prompt set; the unit of reports and baselines. */
export interface ModelScore {
  /** `provider/model`: stable across tier reshuffles, unique per upstream. */
  key: string;
  model: string;
  provider: string;
  tier: string;
  prompts: number;
  /** Prompts the model answered at all (every prompt less upstream errors). */
  answered: number;
  valid: number;
  /** Valid only after a fence was stripped or jsonrepair mended the text. */
  repaired: number;
  refusals: number;
  truncated: number;
  invalidJson: number;
  schemaInvalid: number;
  upstreamErrors: number;
  /** Percentages of `answered`; null when nothing was answered. */
  validationSuccessPct: number | null;
  repairRatePct: number | null;
  refusalRatePct: number | null;
  /** Over answered prompts, in ms; null when nothing was answered. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  costUsd: number;
  /** The first failure seen, so a drift report can say what broke. */
  firstProblem?: string;
}

/**
 * Adds up one deployment's outcomes. Rates are over the prompts the model
 * answered: an upstream outage is counted apart (`upstreamErrors`), because it
 * says nothing about whether the model still honours the contract.
 */
export function scoreModel(options: {
  deployment: DeploymentConfig;
  outcomes: readonly PromptOutcome[];
}): ModelScore {
  const { deployment, outcomes } = options;
  const count = (kind: PromptOutcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
  const answeredOutcomes = outcomes.filter((o) => o.kind !== 'upstream_error');
  const answered = answeredOutcomes.length;
  const valid = count('valid');
  const repaired = outcomes.filter((o) => o.kind === 'valid' && o.repaired).length;
  const refusals = count('refusal');
  const pct = (n: number) => (answered === 0 ? null : roundPct((n / answered) * 100));
  const latencies = answeredOutcomes.map((o) => o.latencyMs);
  const problem = outcomes.find((o) => o.kind !== 'valid');
  return {
    key: `${deployment.provider}/${deployment.model}`,
    model: deployment.model,
    provider: deployment.provider,
    tier: deployment.tier,
    prompts: outcomes.length,
    answered,
    valid,
    repaired,
    refusals,
    truncated: count('truncated'),
    invalidJson: count('invalid_json'),
    schemaInvalid: count('schema_invalid'),
    upstreamErrors: count('upstream_error'),
    validationSuccessPct: pct(valid),
    repairRatePct: pct(repaired),
    refusalRatePct: pct(refusals),
    latencyP50Ms: percentile(latencies, 50) ?? null,
    latencyP95Ms: percentile(latencies, 95) ?? null,
    costUsd: roundUsd(outcomes.reduce((sum, o) => sum + o.costUsd, 0)),
    ...(problem ? { firstProblem: `${problem.promptId}: ${problem.kind}: ${problem.detail}` } : {}),
  };
}

/** Two decimals: enough for a 2-point threshold, and stable in a baseline file. */
function roundPct(value: number): number {
  return Math.round(value * 100) / 100;
}
