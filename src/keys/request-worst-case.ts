import { candidateDeployments } from '../cache/candidate-deployments.js';
import type { GatewayConfig } from '../config/config-types.js';
import { estimateMessageTokens } from '../cost/estimate-tokens.js';
import { roundUsd, worstCaseCostUsd } from '../cost/price-table.js';
import type { RouteJob } from '../routing/route-engine.js';

/**
 * Tokens a re-ask adds to the prompt beyond the earlier answer itself: the
 * validation errors and the instruction. A re-ask whose errors run longer
 * can cost a little more than this estimate holds.
 */
const REASK_EXTRA_TOKENS = 512;

/**
 * The most a request can cost, for its budget reservation. The engine pays
 * for at most two completions (an answer, and one re-ask when it fails its
 * contract; failed attempts cost nothing), each at worst the whole prompt at
 * the input rate and `maxTokens` at the output rate on the dearest
 * candidate deployment, plus its fixed per-request cost. Never more than the
 * request's cost cap, which the engine does not pass.
 *
 * Like the engine's cap check, it counts prompt tokens with our tokenizer,
 * so it is an estimate for models that tokenize differently.
 */
export function requestWorstCaseUsd(options: {
  config: GatewayConfig;
  job: Pick<RouteJob, 'plan' | 'messages' | 'contract' | 'maxTokens' | 'maxCostUsd'>;
  allowedTiers?: readonly string[] | undefined;
}): number {
  const { config, job } = options;
  const deployments = candidateDeployments({
    config,
    plan: job.plan,
    allowedTiers: options.allowedTiers,
  });
  const promptTokens = estimateMessageTokens(job.messages);

  const dearest = (estimatedInputTokens: number): number | undefined => {
    let worstUsd = 0;
    for (const deployment of deployments) {
      const price = config.prices.models[deployment.model];
      if (!price) return undefined;
      const attemptUsd = worstCaseCostUsd({
        estimatedInputTokens,
        maxOutputTokens: job.maxTokens,
        price,
      });
      worstUsd = Math.max(worstUsd, attemptUsd + deployment.costPerRequestUsd);
    }
    return worstUsd;
  };
  const first = dearest(promptTokens);
  const reask = job.contract ? dearest(promptTokens + job.maxTokens + REASK_EXTRA_TOKENS) : 0;
  // A model without a price cannot be bounded; hold the whole cap.
  if (first === undefined || reask === undefined) return job.maxCostUsd;
  return Math.min(job.maxCostUsd, roundUsd(first + reask));
}
