import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import { schemaHash } from '../contracts/contract-registry.js';
import type { CompiledContract } from '../contracts/compile-schema.js';
import type { ProviderClient } from '../providers/types.js';
import type { Clock } from '../util/clock.js';
import type { EvalPrompt } from './prompt-set.js';
import { replayPrompts } from './replay-prompts.js';
import { scoreModel, type ModelScore } from './score-model.js';

/** One evaluation: a contract, a prompt set, and a score per model. */
export interface EvalResult {
  contract: string;
  /** The contract's content hash, so a baseline can tell the schema changed. */
  schemaSha256: string;
  promptCount: number;
  /** ISO 8601, when the run started. */
  startedAt: string;
  models: ModelScore[];
}

export interface RunEvalOptions {
  config: GatewayConfig;
  providers: Map<string, ProviderClient>;
  contract: CompiledContract;
  prompts: readonly EvalPrompt[];
  /** Tiers whose deployments are evaluated, in this order. */
  tiers: readonly string[];
  clock: Clock;
  /** Prompts in flight at once against one deployment; default 4. */
  concurrency?: number;
}

/** A tier name that the configuration does not have, or a run with nothing to do. */
export class EvalSetupError extends Error {
  readonly code = 'invalid_eval_setup';

  constructor(message: string) {
    super(message);
    this.name = 'EvalSetupError';
  }
}

/**
 * Replays the prompt set against every deployment of the chosen tiers, one
 * deployment after another so that their latencies do not mix, and scores
 * each. A model deployed in two tiers is evaluated once.
 */
export async function runEval(options: RunEvalOptions): Promise<EvalResult> {
  const { config, contract, prompts, clock } = options;
  const startedAt = new Date(clock.now()).toISOString();
  const models: ModelScore[] = [];
  for (const deployment of deploymentsToEvaluate(config, options.tiers)) {
    const provider = options.providers.get(deployment.provider);
    if (!provider) throw new EvalSetupError(`no client for provider "${deployment.provider}"`);
    const outcomes = await replayPrompts({
      config,
      deployment,
      provider,
      contract,
      prompts,
      clock,
      concurrency: options.concurrency ?? 4,
    });
    models.push(scoreModel({ deployment, outcomes }));
  }
  return {
    contract: contract.name,
    schemaSha256: schemaHash(contract.schema),
    promptCount: prompts.length,
    startedAt,
    models,
  };
}

/** The deployments of `tiers`, each `provider/model` once; throws on an unknown tier. */
export function deploymentsToEvaluate(
  config: GatewayConfig,
  tiers: readonly string[],
): DeploymentConfig[] {
  const seen = new Set<string>();
  const picked: DeploymentConfig[] = [];
  for (const tier of tiers) {
    const deployments = config.tiers[tier];
    if (!deployments) {
      const known = config.tierOrder.join(', ');
      throw new EvalSetupError(`--tiers: unknown tier "${tier}" (configured: ${known})`);
    }
    for (const deployment of deployments) {
      const key = `${deployment.provider}/${deployment.model}`;
      if (seen.has(key)) continue;
      seen.add(key);
      picked.push(deployment);
    }
  }
  if (picked.length === 0) {
    throw new EvalSetupError(
      `no deployment to evaluate in tiers ${tiers.join(', ')}: is a provider key set?`,
    );
  }
  return picked;
}
