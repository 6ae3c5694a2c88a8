import { StreamCollector, type CollectedStream } from './collect-stream.js';
import type { OpenAiSseWriter, StreamStartOptions } from './openai-sse-writer.js';
import type { StreamErrorEvent, StreamEvent } from './stream-events.js';

export interface RelayStreamOptions {
  events: AsyncIterable<StreamEvent>;
  writer: OpenAiSseWriter;
  /** What the writer's `start` gets once this attempt commits the response. */
  start: StreamStartOptions;
}

export interface RelayOutcome {
  /**
   * Whether this attempt wrote to the client. When false (it failed before
   * any content) nothing was written, and the engine may relay another
   * attempt through the same writer.
   */
  committed: boolean;
  /** The client went away before the stream ended; the upstream read was stopped. */
  clientGone: boolean;
  /** Everything the attempt streamed, its usage and its error. */
  collected: CollectedStream;
}

/**
 * Passes one attempt's stream to the client as it arrives. The response is
 * committed at the first content (or the finish, for an empty answer): an
 * error before that writes nothing, so the attempt can be retried or fall
 * back as if it had failed unstreamed; an error after it is written as
 * OpenAI writes one mid-stream, and the attempt is over.
 */
export async function relayStream(options: RelayStreamOptions): Promise<RelayOutcome> {
  const { events, writer, start } = options;
  const collector = new StreamCollector();
  const outcome = (clientGone: boolean): RelayOutcome => ({
    committed: writer.started,
    clientGone,
    collected: collector.result(),
  });

  let refusalSent = false;
  for await (const event of events) {
    collector.add(event);
    if (event.type === 'error') {
      if (writer.started) await writer.error(clientError(event));
      return outcome(writer.clientGone);
    }
    if (event.type === 'usage') continue;
    await writer.start(start);
    if (event.type === 'text') await writer.text(event.text);
    if (event.type === 'refusal') {
      await writer.refusal(event.text);
      refusalSent ||= event.text !== '';
    }
    // Breaking out of the loop stops the upstream read and frees its socket.
    if (writer.closed) return outcome(true);
  }

  const { finishReason, usage } = collector.result();
  // Anthropic ends a refusal with stop_reason "refusal" and no text of one;
  // OpenAI clients only see a refusal in delta.refusal, so one is sent.
  if (finishReason === 'refusal' && !refusalSent) {
    await writer.start(start);
    await writer.refusal('the model declined to answer');
  }
  await writer.finish({ finishReason: finishReason ?? 'unknown', usage });
  return outcome(writer.clientGone);
}

/**
 * The gateway's error type for a stream that failed after it was committed.
 * An abort the client did not cause (it would have closed the writer) is
 * the request's deadline passing.
 */
function clientError(event: StreamErrorEvent): { message: string; type: string } {
  if (event.errorType === 'aborted') {
    return {
      message: 'the request deadline passed before the stream ended',
      type: 'upstream_timeout',
    };
  }
  const type = event.errorType === 'timeout' ? 'upstream_timeout' : 'upstream_error';
  return { message: `upstream stream failed: ${event.message}`, type };
}
