import type { AttemptResult, FinishReason, Usage } from '../providers/types.js';
import type { StreamErrorEvent, StreamEvent, StreamStart } from './stream-events.js';

/** A whole stream, buffered. */
export interface CollectedStream {
  text: string;
  /** The refusal message, when the model refused (empty when it sent none). */
  refusal?: string;
  /** Null when the stream failed before it finished. */
  finishReason: FinishReason | null;
  /** Null when the provider sent none; cost is then unknown, not zero. */
  usage: Usage | null;
  /** Set when the stream failed; `text` then holds what arrived before. */
  error: StreamErrorEvent | null;
}

/**
 * Folds stream events into what they add up to, one event at a time, for
 * callers that also pass the events on (see `relayStream`).
 */
export class StreamCollector {
  readonly #text: string[] = [];
  readonly #refusal: string[] = [];
  #finishReason: FinishReason | null = null;
  #usage: Usage | null = null;
  #error: StreamErrorEvent | null = null;

  add(event: StreamEvent): void {
    switch (event.type) {
      case 'text':
        this.#text.push(event.text);
        break;
      case 'refusal':
        this.#refusal.push(event.text);
        break;
      case 'finish':
        this.#finishReason = event.finishReason;
        break;
      case 'usage':
        // The last report is the total; earlier ones are not added to it.
        this.#usage = event.usage;
        break;
      case 'error':
        this.#error = event;
        break;
    }
  }

  result(): CollectedStream {
    const refused = this.#finishReason === 'refusal' || this.#refusal.length > 0;
    return {
      text: this.#text.join(''),
      ...(refused ? { refusal: this.#refusal.join('') } : {}),
      finishReason: this.#error ? null : this.#finishReason,
      usage: this.#usage,
      error: this.#error,
    };
  }
}

/** Buffers a whole stream: for answers that must be validated before release. */
export async function collectStream(events: AsyncIterable<StreamEvent>): Promise<CollectedStream> {
  const collector = new StreamCollector();
  for await (const event of events) collector.add(event);
  return collector.result();
}

/**
 * Buffers a started stream into the `AttemptResult` that `complete()` would
 * have given, so JSON-Schema requests that stream upstream are judged,
 * retried and priced exactly like unstreamed ones. A stream that failed is
 * a `Failure`, whatever text came before the error.
 *
 * The `Failure` has no place for usage, so the tokens a failed stream
 * reported are lost here; use `collectStream` to keep them.
 */
export async function collectCompletion(options: {
  start: StreamStart;
  now: () => number;
}): Promise<AttemptResult> {
  const { start, now } = options;
  const readStartedMs = now();
  const collected = await collectStream(start.events);
  const latencyMs = start.latencyMs + (now() - readStartedMs);
  return attemptResultOf({ collected, headers: start.headers, latencyMs });
}

/**
 * What a whole stream amounts to as one attempt: a `Failure` when it
 * failed, whatever text came before the error, else the `Completion`.
 */
export function attemptResultOf(options: {
  collected: CollectedStream;
  headers: Record<string, string>;
  latencyMs: number;
}): AttemptResult {
  const { collected, headers, latencyMs } = options;
  if (collected.error) {
    const { errorType, retryable, message } = collected.error;
    return { kind: 'failure', reason: errorType, retryable, message, headers, latencyMs };
  }
  const finishReason = collected.finishReason ?? 'unknown';
  const refusal =
    finishReason === 'refusal'
      ? collected.refusal || collected.text || 'the model declined to answer'
      : undefined;
  return {
    kind: 'completion',
    text: collected.text,
    finishReason,
    ...(refusal !== undefined ? { refusal } : {}),
    usage: collected.usage,
    headers,
    latencyMs,
  };
}
