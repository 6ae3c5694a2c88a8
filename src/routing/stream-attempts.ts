import type { DeploymentConfig } from '../config/config-types.js';
import type { Failure } from '../providers/types.js';
import { attemptResultOf, collectCompletion } from '../streaming/collect-stream.js';
import { openStream } from '../streaming/open-stream.js';
import type { OpenAiSseWriter } from '../streaming/openai-sse-writer.js';
import { relayStream, type RelayOutcome } from '../streaming/relay-stream.js';
import type { AttemptRun, AttemptRunner } from './attempt-runner.js';

export interface RelayingAttemptsOptions {
  /** The client's response, shared by every attempt of the request. */
  writer: OpenAiSseWriter;
  /** Response headers sent when an attempt's first content commits the response. */
  headersFor: (deployment: DeploymentConfig) => Record<string, string>;
  now: () => number;
}

/**
 * Attempts whose answer goes to the client as it arrives (chat completions
 * without a JSON Schema). Until an attempt's first content the client has
 * been sent nothing, so a failure up to then (an error status, or an error
 * event such as Anthropic's `overloaded_error` right after a 200) is an
 * ordinary failed attempt: the engine retries it elsewhere, backs off or
 * falls back, and the client never notices. Once content has gone out, a
 * failure is written to the client as an error event and comes back as
 * `interrupted`, which ends the request.
 */
export function relayingAttempts(options: RelayingAttemptsOptions): AttemptRunner {
  const { writer, headersFor, now } = options;
  return async ({ provider, request, deployment }) => {
    const opened = await openStream({ client: provider, request });
    if (opened.kind === 'failure') return opened;

    const readStartedMs = now();
    const relayed = await relayStream({
      events: opened.events,
      writer,
      start: { model: deployment.model, headers: headersFor(deployment) },
    });
    const latencyMs = opened.latencyMs + (now() - readStartedMs);
    return relayedRun({ relayed, headers: opened.headers, latencyMs });
  };
}

/**
 * Attempts for a chat completion with a JSON Schema: streamed from the
 * upstream but buffered whole, so the answer is judged (and repaired, or
 * re-asked) exactly as an unstreamed one before any of it is released.
 * A stream cut off by the token limit is judged `truncated`; one cut off by
 * an error or a dropped connection is a failure; neither is ever delivered.
 */
export function collectingAttempts(options: { now: () => number }): AttemptRunner {
  return async ({ provider, request }) => {
    const opened = await openStream({ client: provider, request });
    if (opened.kind === 'failure') return opened;
    return collectCompletion({ start: opened, now: options.now });
  };
}

/** One relayed attempt as the engine sees it. */
function relayedRun(options: {
  relayed: RelayOutcome;
  headers: Record<string, string>;
  latencyMs: number;
}): AttemptRun {
  const { relayed, headers, latencyMs } = options;
  const { collected } = relayed;
  const result = attemptResultOf({ collected, headers, latencyMs });
  const failure = result.kind === 'failure' ? result : leftEarly({ relayed, headers, latencyMs });
  if (!failure) return result;
  if (!relayed.committed) return failure;
  return { kind: 'interrupted', failure, text: collected.text, usage: collected.usage };
}

/** The relay stops reading when the client leaves; before the finish, that is an abort. */
function leftEarly(options: {
  relayed: RelayOutcome;
  headers: Record<string, string>;
  latencyMs: number;
}): Failure | undefined {
  const { relayed, headers, latencyMs } = options;
  if (relayed.collected.finishReason !== null) return undefined;
  return {
    kind: 'failure',
    reason: 'aborted',
    retryable: false,
    message: 'the client closed the connection before the stream ended',
    headers,
    latencyMs,
  };
}
