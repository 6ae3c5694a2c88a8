import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import type { GatewayError } from '../errors/gateway-error.js';
import type { ChatMessage } from '../providers/types.js';
import type { AttemptRecord } from './attempt.js';
import { deploymentsOf, escalationTiers } from './route-plan.js';
import type { RouteJob } from './route-types.js';

export interface JobContext extends RouteJob {
  deadlineAtMs: number;
  /** Aborts on client disconnect or when the deadline passes. */
  deadlineSignal: AbortSignal;
}

/** The mutable state of one request's walk through its candidate deployments. */
export interface Walk {
  job: JobContext;
  /** Cloud tiers, lightest first, from the start tier on. */
  tiers: string[];
  tierIndex: number;
  fallbackTier: string | undefined;
  /** Set once the cloud tiers are used up and the fallback tier serves. */
  fallbackActive: boolean;
  retriesLeft: number;
  reaskUsed: boolean;
  /** Deployments this request must not use again (non-retryable, cooled, refused). */
  excluded: Set<string>;
  tried: Set<string>;
  /** Why each deployment was passed over without an attempt, for the error. */
  refusals: Map<string, Refusal>;
  /** Context window the next deployment must exceed, after a context error. */
  minContextWindow: number;
  messages: ChatMessage[];
  /** Prompt tokens of `messages`, counted once per change of messages. */
  estimatedTokens: number;
  attempts: AttemptRecord[];
  spentUsd: number;
  lastError: GatewayError | undefined;
  costCapHit: boolean;
}

/** Why one deployment was passed over. */
export interface Refusal {
  reason: string;
  /** The request (prompt, or prompt and output) is too large for it. */
  tooLarge?: boolean;
  /** A rate limit turned it away until then (epoch ms). */
  retryAtMs?: number;
}

export function createWalk(options: {
  config: GatewayConfig;
  job: JobContext;
  estimatedTokens: number;
}): Walk {
  const { config, job } = options;
  const pinned = job.plan.pinnedModel !== undefined;
  // A key limited to some tiers never escalates into the others.
  const allowed = job.allowedTiers?.length ? new Set(job.allowedTiers) : undefined;
  const tiers = pinned ? [job.plan.startTier] : escalationTiers(config, job.plan.startTier);
  const fallbackTier = pinned ? undefined : config.fallbackTier;
  return {
    job,
    tiers: allowed ? tiers.filter((tier) => allowed.has(tier)) : tiers,
    tierIndex: 0,
    fallbackTier:
      fallbackTier && (!allowed || allowed.has(fallbackTier)) ? fallbackTier : undefined,
    fallbackActive: false,
    retriesLeft: config.retry.maxRetries,
    reaskUsed: false,
    excluded: new Set(),
    tried: new Set(),
    refusals: new Map(),
    minContextWindow: 0,
    messages: job.messages,
    estimatedTokens: options.estimatedTokens,
    attempts: [],
    spentUsd: 0,
    lastError: undefined,
    costCapHit: false,
  };
}

/**
 * The next deployment to try: the first usable one of the current tier, else
 * of heavier tiers; once those are used up, the fallback tier's. Prefers a
 * deployment this request has not tried yet.
 */
export function pickDeployment(config: GatewayConfig, walk: Walk): DeploymentConfig | undefined {
  if (!walk.fallbackActive) {
    for (let t = walk.tierIndex; t < walk.tiers.length; t++) {
      const pick = pickFrom(config, walk, walk.tiers[t]!);
      if (pick) {
        walk.tierIndex = t;
        return pick;
      }
    }
    if (!activateFallback(walk)) return undefined;
  }
  return pickFrom(config, walk, walk.fallbackTier!);
}

/** Switches to the fallback tier; false when there is none or it is in use already. */
export function activateFallback(walk: Walk): boolean {
  if (walk.fallbackActive || walk.fallbackTier === undefined) return false;
  walk.fallbackActive = true;
  return true;
}

function pickFrom(config: GatewayConfig, walk: Walk, tier: string): DeploymentConfig | undefined {
  const candidates = deploymentsOf(config, { tier, pinnedModel: walk.job.plan.pinnedModel }).filter(
    (d) => !walk.excluded.has(d.id) && fitsPrompt(walk, d),
  );
  return candidates.find((d) => !walk.tried.has(d.id)) ?? candidates[0];
}

/**
 * Whether the prompt fits the deployment: under its `max_prompt_tokens`, and
 * with room for the output in its context window. A deployment that does not
 * fit is passed over with the reason written down.
 */
function fitsPrompt(walk: Walk, deployment: DeploymentConfig): boolean {
  const tokens = walk.estimatedTokens;
  const window = deployment.contextWindow;
  let reason: string | undefined;
  if (walk.minContextWindow > 0 && (window ?? 0) <= walk.minContextWindow) {
    reason = `context window ${window ?? 'unknown'} is not larger than the one exceeded`;
  } else if (deployment.maxPromptTokens !== undefined && tokens > deployment.maxPromptTokens) {
    reason = `prompt of about ${tokens} tokens exceeds its limit of ${deployment.maxPromptTokens}`;
  } else if (window !== undefined && tokens + walk.job.maxTokens > window) {
    reason = `prompt of about ${tokens} tokens plus ${walk.job.maxTokens} output does not fit its context of ${window}`;
  }
  if (reason === undefined) return true;
  // After a context error, a smaller window is passed over for that error's sake.
  walk.refusals.set(deployment.id, { reason, tooLarge: walk.minContextWindow === 0 });
  return false;
}
