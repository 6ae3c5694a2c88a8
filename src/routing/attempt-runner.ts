import type { DeploymentConfig } from '../config/config-types.js';
import type {
  AttemptResult,
  CompletionRequest,
  Failure,
  ProviderClient,
  Usage,
} from '../providers/types.js';

/**
 * An attempt that failed after its answer had begun to reach the client (a
 * stream cut off by an error, a drop, the deadline or the client leaving).
 * Nothing can replace what was sent, so the engine records it and stops:
 * no retry, no fallback.
 */
export interface InterruptedAttempt {
  kind: 'interrupted';
  failure: Failure;
  /** What reached the client before the failure. */
  text: string;
  /** The provider's token count so far, when it sent one; else the cost is estimated. */
  usage: Usage | null;
}

/** What one attempt came to. */
export type AttemptRun = AttemptResult | InterruptedAttempt;

export interface AttemptInput {
  provider: ProviderClient;
  request: CompletionRequest;
  deployment: DeploymentConfig;
}

/**
 * Makes one attempt on a deployment the engine picked and admitted. The
 * default asks for the whole completion; a streamed request brings its own
 * (see stream-attempts.ts), so the cost cap, the gate, retries and the
 * fallback tier apply to it unchanged.
 */
export type AttemptRunner = (input: AttemptInput) => Promise<AttemptRun>;

/** The default runner: the provider's whole completion. */
export const completeAttempt: AttemptRunner = ({ provider, request }) => provider.complete(request);
