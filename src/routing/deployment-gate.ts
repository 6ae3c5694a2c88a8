import type { DeploymentConfig } from '../config/config-types.js';
import type { AttemptOutcome } from './attempt.js';

export type Admission =
  | { ok: true; release: () => void }
  /** `retryAtMs`: when a rate limit that refused it ends (epoch ms), if one did. */
  | { ok: false; reason: string; retryAtMs?: number };

/**
 * What the engine asks before and tells after each attempt on a deployment.
 * Circuit breakers, rate-limit tracking and in-flight limits live behind it,
 * so the engine's attempt loop stays the same whichever are switched on.
 */
export interface DeploymentGate {
  admit(
    deployment: DeploymentConfig,
    context: { estimatedTokens: number; signal: AbortSignal },
  ): Promise<Admission>;
  /**
   * The outcome of an attempt the gate admitted. `headers` are the upstream's
   * response headers (rate-limit state); `retryAfterMs` is its retry hint.
   */
  record(
    deployment: DeploymentConfig,
    result: {
      outcome: AttemptOutcome;
      countsAgainstDeployment: boolean;
      headers: Record<string, string>;
      retryAfterMs?: number | undefined;
    },
  ): Promise<void>;
}

/** Admits everything and remembers nothing: the gate with no policies on. */
export const openGate: DeploymentGate = {
  admit: async () => ({ ok: true, release: () => {} }),
  record: async () => {},
};
