import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import { estimateTokens } from '../cost/estimate-tokens.js';
import { costOfUsage, roundUsd, worstCaseCostUsd } from '../cost/price-table.js';
import type { Completion, CompletionRequest, Usage } from '../providers/types.js';
import type { Walk } from './walk.js';

/**
 * What one attempt asks of a deployment: the walk's messages (re-ask
 * included), the contract as structured output, the job's sampling, the
 * provider's timeouts and the client headers that provider may see.
 */
export function attemptRequest(
  config: GatewayConfig,
  walk: Walk,
  deployment: DeploymentConfig,
): CompletionRequest {
  const provider = config.providers[deployment.provider]!;
  const { job } = walk;
  const forward: Record<string, string> = {};
  for (const name of provider.forwardHeaders) {
    const value = job.forwardHeaders?.[name];
    if (value !== undefined) forward[name] = value;
  }
  return {
    model: deployment.model,
    messages: walk.messages,
    ...(job.contract
      ? {
          structuredOutput: {
            name: job.contract.name,
            schema: job.contract.schema,
            strict: job.contract.strict,
          },
        }
      : {}),
    maxTokens: job.maxTokens,
    temperature: job.temperature,
    sampling: job.sampling,
    timeouts: provider.timeouts,
    signal: job.deadlineSignal,
    deadlineAtMs: job.deadlineAtMs,
    headers: forward,
  };
}

/**
 * What an answered attempt cost: from the provider's usage, or, when it
 * sent none, from our own token counts, and then marked estimated. An
 * estimate counts at most `maxTokens` of output, which is all a provider can
 * bill: a longer text is a broken server's, and counting it (a 2 MB answer
 * came to ten times the cost cap) would only inflate reports and budgets.
 */
export function priceCompletion(
  config: GatewayConfig,
  options: {
    deployment: DeploymentConfig;
    completion: Pick<Completion, 'text' | 'usage'>;
    estimatedTokens: number;
    maxTokens: number;
  },
): { costUsd: number; costEstimated: boolean } {
  const price = config.prices.models[options.deployment.model]!;
  const fixedUsd = options.deployment.costPerRequestUsd;
  const { usage } = options.completion;
  if (usage) {
    return { costUsd: roundUsd(costOfUsage(usage, price) + fixedUsd), costEstimated: false };
  }
  const estimate: Usage = {
    inputTokens: options.estimatedTokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: Math.min(options.maxTokens, estimateTokens(options.completion.text)),
    reasoningTokens: 0,
  };
  return { costUsd: roundUsd(costOfUsage(estimate, price) + fixedUsd), costEstimated: true };
}

/** The most an attempt on `deployment` can cost: every output token used, plus its fixed fee. */
export function worstAttemptCostUsd(
  config: GatewayConfig,
  options: { deployment: DeploymentConfig; estimatedTokens: number; maxTokens: number },
): number {
  const { deployment } = options;
  const worst = worstCaseCostUsd({
    estimatedInputTokens: options.estimatedTokens,
    maxOutputTokens: options.maxTokens,
    price: config.prices.models[deployment.model]!,
  });
  return roundUsd(worst + deployment.costPerRequestUsd);
}
