import type { DeploymentConfig } from '../config/config-types.js';
import type { CompiledContract } from '../contracts/compile-schema.js';
import type { GatewayError } from '../errors/gateway-error.js';
import type { ChatMessage, Completion, Usage } from '../providers/types.js';
import type { AttemptRunner } from './attempt-runner.js';
import type { AttemptRecord } from './attempt.js';
import type { RoutePlan } from './route-plan.js';

/** One routed request, already validated and normalised by the server. */
export interface RouteJob {
  requestId: string;
  taskType: string;
  plan: RoutePlan;
  messages: ChatMessage[];
  /** The output contract; absent for plain chat completions. */
  contract?: CompiledContract | undefined;
  /** The cap for this request: the configured one, or lower if asked. */
  maxCostUsd: number;
  maxTokens: number;
  temperature?: number | undefined;
  sampling?: Record<string, unknown> | undefined;
  /** Client headers to pass upstream (only those a provider allows). */
  forwardHeaders?: Record<string, string> | undefined;
  /** The tiers the client's key may use; absent or empty allows all. */
  allowedTiers?: readonly string[] | undefined;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** How each attempt is made; default the whole completion. Streamed requests set one. */
  runAttempt?: AttemptRunner | undefined;
  /** Told when each admitted attempt starts and ends (the request's span times them). */
  attemptObserver?: AttemptObserver | undefined;
  /**
   * A refusal is an answer, not an error: OpenAI's chat API returns it with
   * 200 and `message.refusal`, so the compatible endpoint sets this. The
   * typed `/v1/route` does not: there a refusal is a 422.
   */
  refusalIsAnswer?: boolean | undefined;
}

/**
 * Hears each attempt that a deployment admitted: `attemptStarted` once it
 * is admitted, `attemptEnded` when its upstream call returned (for a stream,
 * when the stream ended) and its slot was released.
 */
export interface AttemptObserver {
  attemptStarted(deploymentId: string): void;
  attemptEnded(deploymentId: string): void;
}

export interface RouteSuccess {
  ok: true;
  deployment: DeploymentConfig;
  /** The validated payload when there is a contract. */
  payload: unknown;
  text: string;
  repaired: boolean;
  finishReason: Completion['finishReason'];
  usage: Usage | null;
  attempts: AttemptRecord[];
  costUsd: number;
  /** Served by the fallback tier because no cloud deployment could. */
  fallback: boolean;
  /** The model's refusal, when the job takes one as its answer (`refusalIsAnswer`). */
  refusal?: string;
}

export interface RouteFailure {
  ok: false;
  error: GatewayError;
  attempts: AttemptRecord[];
  costUsd: number;
}

export type RouteResult = RouteSuccess | RouteFailure;
