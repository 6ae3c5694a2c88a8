import type { Failure, FailureReason, FinishReason, Usage } from '../providers/types.js';

/**
 * The provider-neutral events a streamed attempt yields, whichever API it
 * came from. The engine and the client writers consume only these.
 *
 * A stream keeps to this order, which the stream clients enforce:
 * any number of `text` or `refusal` events; then a `finish`, or an `error`;
 * then at most one `usage`, always the provider's last report. When the
 * stream fails, the usage reported so far (if any) comes just before the
 * `error`, which is always the last event.
 */
export type StreamEvent = TextEvent | RefusalEvent | FinishEvent | UsageEvent | StreamErrorEvent;

/** A piece of the answer: message text, or the JSON text of a forced tool call's input. */
export interface TextEvent {
  type: 'text';
  text: string;
}

/** A piece of a refusal message (OpenAI's `delta.refusal`); never part of the content. */
export interface RefusalEvent {
  type: 'refusal';
  text: string;
}

export interface FinishEvent {
  type: 'finish';
  finishReason: FinishReason;
}

/** The provider's token count for the whole attempt, or as far as it got. */
export interface UsageEvent {
  type: 'usage';
  usage: Usage;
}

/** The stream failed after its 2xx status line: an error frame, a drop, a timeout. */
export interface StreamErrorEvent {
  type: 'error';
  message: string;
  /** Classified as a failure before the stream would be. */
  errorType: FailureReason;
  /** Whether another attempt (here or elsewhere) may succeed. */
  retryable: boolean;
  /** The provider's own error type, e.g. `overloaded_error`, when it sent one. */
  upstreamType?: string;
}

/** A stream that started: the upstream answered 2xx with an event stream. */
export interface StreamStart {
  kind: 'stream';
  /** Response headers, lower-cased, for rate-limit tracking. */
  headers: Record<string, string>;
  /** Milliseconds from sending to the response headers. */
  latencyMs: number;
  /**
   * The events, read from the socket as the consumer pulls. Iterate to the
   * end or break out of the loop: either releases the socket. A consumer
   * that will not iterate at all must abort the request's signal instead.
   */
  events: AsyncIterable<StreamEvent>;
}

/** What a stream client returns: a failure before the stream began, or the stream. */
export type StreamResult = StreamStart | Failure;

/** An error event carrying a failure's classification, for failures met mid-stream. */
export function errorEventOf(failure: Failure): StreamErrorEvent {
  return {
    type: 'error',
    message: failure.message,
    errorType: failure.reason,
    retryable: failure.retryable,
  };
}
