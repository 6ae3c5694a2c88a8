import type { Failure } from '../providers/types.js';
import type { OpenedStream } from './post-stream.js';
import { SseParseError, SseParser, type SseMessage } from './sse-parser.js';
import { errorEventOf, type StreamEvent, type UsageEvent } from './stream-events.js';

/** What one provider's wire format turns an SSE message into. */
export interface StreamTranslator {
  translate(message: SseMessage): TranslatedMessage;
}

export interface TranslatedMessage {
  events: StreamEvent[];
  /** True for the stream's own end marker (`[DONE]`, `message_stop`). */
  done?: boolean;
}

/** Bytes read after the end marker before the socket is given up rather than kept. */
const MAX_TRAILING_BYTES = 64 * 1024;

/**
 * Reads an opened stream to normalised events and enforces their order
 * (see `StreamEvent`): a second `finish` and anything after it but usage are
 * dropped, usage is held back and released once, and an `error` ends it.
 *
 * A stream that stops before its end marker is an error, never a normal
 * end, unless its finish reason had already arrived: then only the usage
 * that would have followed is missing, and the answer itself is whole.
 *
 * The socket is released on every way out: after the end marker the rest
 * of the body is read in the background, so the socket goes back to the
 * pool for reuse; on an error, an abort or a consumer that stops pulling,
 * the body is destroyed and the socket closed.
 */
export async function* readStreamEvents(options: {
  opened: OpenedStream;
  translator: StreamTranslator;
}): AsyncGenerator<StreamEvent> {
  const { opened, translator } = options;
  const chunks = opened.body[Symbol.asyncIterator]();
  const parser = new SseParser();
  let usage: UsageEvent | undefined;
  let finished = false;
  let reachedEnd = false;
  let sawMarker = false;
  const held = (): StreamEvent[] => (usage ? [usage] : []);
  try {
    for (;;) {
      const read = await chunks.next();
      reachedEnd = read.done === true;
      const messages = read.done ? parser.end() : parser.push(read.value as Uint8Array);
      for (const message of messages) {
        const { events, done } = translator.translate(message);
        for (const event of events) {
          if (event.type === 'usage') usage = event;
          else if (event.type === 'error') return yield* finished ? held() : [...held(), event];
          else if (!finished) {
            finished = event.type === 'finish';
            yield event;
          }
        }
        sawMarker = done === true;
        if (sawMarker) break;
      }
      if (sawMarker || reachedEnd) break;
    }
    if (!finished) return yield* [...held(), unfinishedError(sawMarker)];
    yield* held();
  } catch (error) {
    if (finished) return yield* held();
    yield* [...held(), errorEventOf(failureOf({ opened, error }))];
  } finally {
    closeBody({ opened, chunks, keep: sawMarker && finished, reachedEnd });
  }
}

function unfinishedError(sawMarker: boolean): StreamEvent {
  const message = sawMarker
    ? 'upstream ended its stream without a finish reason'
    : 'upstream stream ended before its end marker';
  return { type: 'error', message, errorType: 'connection', retryable: true };
}

function failureOf(options: { opened: OpenedStream; error: unknown }): Failure {
  const { opened, error } = options;
  if (!(error instanceof SseParseError)) return opened.classify(error);
  const failure = opened.classify(error);
  return Object.assign({}, failure, { reason: 'bad_response', message: error.message });
}

/**
 * Keeps the socket when the stream ended properly and only the body's
 * closing bytes are still due; destroys the body in every other case.
 */
function closeBody(options: {
  opened: OpenedStream;
  chunks: AsyncIterator<unknown>;
  keep: boolean;
  reachedEnd: boolean;
}): void {
  const { opened, chunks } = options;
  if (options.reachedEnd) return opened.settle();
  if (!options.keep) {
    opened.body.destroy();
    return opened.settle();
  }
  void drainRest(chunks).then((ended) => {
    if (!ended) opened.body.destroy();
    opened.settle();
  });
}

/** Reads what follows the end marker; true when the body ended within the limit. */
async function drainRest(chunks: AsyncIterator<unknown>): Promise<boolean> {
  let bytes = 0;
  try {
    for (;;) {
      const read = await chunks.next();
      if (read.done) return true;
      bytes += (read.value as Uint8Array).byteLength;
      if (bytes > MAX_TRAILING_BYTES) return false;
    }
  } catch {
    // The socket failed after the stream was complete; nothing was lost.
    return false;
  }
}
