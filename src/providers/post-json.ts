import type { Dispatcher } from 'undici';
import { linkedTimeout } from '../resilience/linked-timeout.js';
import type { AttemptTimeouts, Failure, FailureReason } from './types.js';

export interface PostJsonOptions {
  dispatcher: Dispatcher;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeouts: AttemptTimeouts;
  signal: AbortSignal;
  /** When `signal` aborts for the deadline (epoch ms, on `now`'s clock); see `CompletionRequest`. */
  deadlineAtMs?: number | undefined;
  now: () => number;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  latencyMs: number;
}

/**
 * POSTs a JSON body through a pooled dispatcher and reads the whole answer.
 * Never throws for network trouble: a dropped socket, a timeout or an abort
 * comes back as a `Failure`, so the engine can record it and move on.
 */
export async function postJson(options: PostJsonOptions): Promise<RawResponse | Failure> {
  const { dispatcher, url, timeouts, now } = options;
  const started = now();
  // The deadline's signal ends the attempt first when its own timeout is
  // longer than what is left (the usual case): no second timer then.
  const total =
    options.deadlineAtMs !== undefined && started + timeouts.totalMs >= options.deadlineAtMs
      ? { signal: options.signal, timedOut: false, dispose() {} }
      : linkedTimeout(
          options.signal,
          timeouts.totalMs,
          'the attempt took longer than its total timeout',
        );
  const target = new URL(url);
  try {
    const response = await dispatcher.request({
      origin: target.origin,
      path: target.pathname + target.search,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(options.body),
      signal: total.signal,
      headersTimeout: timeouts.firstByteMs,
    });
    const headers = flattenHeaders(response.headers);
    const text = await readCapped(response.body, MAX_UPSTREAM_ANSWER_BYTES);
    if (text === undefined) {
      // A server that answers without end would take the gateway's memory
      // with it; another deployment may answer properly.
      return {
        kind: 'failure',
        reason: 'bad_response',
        retryable: true,
        message: `upstream answer passed ${MAX_UPSTREAM_ANSWER_BYTES / 2 ** 20} MiB; not read further`,
        status: response.statusCode,
        headers,
        latencyMs: now() - started,
      };
    }
    return { status: response.statusCode, headers, text, latencyMs: now() - started };
  } catch (error) {
    return networkFailure({
      error,
      latencyMs: now() - started,
      clientAborted: options.signal.aborted,
      timedOut: total.timedOut,
    });
  } finally {
    total.dispose();
  }
}

/**
 * The most of an unstreamed answer read: a completion of 100,000 output
 * tokens is well under 1 MiB, so 16 MiB is only ever a broken server.
 */
export const MAX_UPSTREAM_ANSWER_BYTES = 16 * 2 ** 20;

/** The body as text, or undefined (and the rest discarded) past `limitBytes`. */
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  limitBytes: number,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limitBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Maps an error thrown by undici (or an abort) to a typed failure. */
export function networkFailure(options: {
  error: unknown;
  latencyMs: number;
  clientAborted: boolean;
  timedOut: boolean;
}): Failure {
  const { error, latencyMs } = options;
  const code = (error as { code?: unknown }).code;
  const fail = (reason: FailureReason, retryable: boolean, message: string): Failure => ({
    kind: 'failure',
    reason,
    retryable,
    message,
    headers: {},
    latencyMs,
  });
  if (options.clientAborted) {
    // The caller gave up (client gone, or the request deadline passed); the
    // engine decides which, since it owns the deadline.
    return fail('aborted', false, 'attempt aborted');
  }
  if (options.timedOut || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    const which = typeof code === 'string' ? ` (${code})` : '';
    return fail('timeout', true, `upstream timed out${which}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  const prefix = typeof code === 'string' ? `${code} ` : '';
  return fail('connection', true, `connection failed: ${prefix}${message}`);
}
