import type { Dispatcher } from 'undici';
import { classifyHttpError, parseErrorBody } from '../providers/classify-http-error.js';
import { flattenHeaders, networkFailure } from '../providers/post-json.js';
import type { AttemptTimeouts, Failure } from '../providers/types.js';
import { linkedTimeout } from '../resilience/linked-timeout.js';

export interface PostStreamOptions {
  dispatcher: Dispatcher;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeouts: AttemptTimeouts;
  /** Aborts the attempt, before or during the stream. */
  signal: AbortSignal;
  now: () => number;
}

/** An upstream that answered 2xx with an event stream, not yet read. */
export interface OpenedStream {
  headers: Record<string, string>;
  /** Milliseconds from sending to the response headers. */
  latencyMs: number;
  /** The response body; destroying it closes the socket. */
  body: Dispatcher.ResponseData['body'];
  /** Classifies an error thrown while reading the body, as `postJson` would. */
  classify(error: unknown): Failure;
  /** Clears the attempt's total timer; call once the body is done with. */
  settle(): void;
}

/**
 * POSTs a streaming request through a pooled dispatcher and returns as soon
 * as the response headers arrive. Like `postJson` it never throws for
 * network trouble: a non-2xx answer, a connection error or a timeout before
 * the stream starts comes back as the same `Failure` the non-streaming
 * clients give, so retries and fallbacks treat both alike.
 *
 * `timeouts.totalMs` bounds the whole attempt, the stream included; the
 * pool's body timeout bounds the silence between two chunks.
 */
export async function postStream(options: PostStreamOptions): Promise<OpenedStream | Failure> {
  const { dispatcher, timeouts, now } = options;
  const started = now();
  const total = linkedTimeout(
    options.signal,
    timeouts.totalMs,
    'the attempt took longer than its total timeout',
  );
  const settle = () => total.dispose();
  const classify = (error: unknown): Failure =>
    networkFailure({
      error,
      latencyMs: now() - started,
      clientAborted: options.signal.aborted,
      timedOut: total.timedOut,
    });
  const target = new URL(options.url);
  try {
    const response = await dispatcher.request({
      origin: target.origin,
      path: target.pathname + target.search,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...options.headers,
      },
      body: JSON.stringify(options.body),
      signal: total.signal,
      headersTimeout: timeouts.firstByteMs,
    });
    const headers = flattenHeaders(response.headers);
    const latencyMs = now() - started;
    const refused = await refusal({ response, headers, started, now });
    if (refused) {
      settle();
      return refused;
    }
    return { headers, latencyMs, body: response.body, classify, settle };
  } catch (error) {
    settle();
    return classify(error);
  }
}

/** The failure for a response that is not a stream we can read, else undefined. */
async function refusal(options: {
  response: Dispatcher.ResponseData;
  headers: Record<string, string>;
  started: number;
  now: () => number;
}): Promise<Failure | undefined> {
  const { response, headers, started, now } = options;
  const status = response.statusCode;
  const type = headers['content-type'];
  if (status >= 200 && status < 300 && (type === undefined || type.includes('text/event-stream'))) {
    return undefined;
  }
  const text = await response.body.text();
  const raw = { status, headers, text, latencyMs: now() - started };
  if (status < 200 || status >= 300) return classifyHttpError(raw, parseErrorBody(raw));
  // A compatible server that ignored `stream: true` and answered in one piece.
  return {
    kind: 'failure',
    reason: 'bad_response',
    retryable: true,
    message: `upstream answered ${status} with ${type}, not an event stream`,
    status,
    headers,
    latencyMs: raw.latencyMs,
  };
}
