import type { IncomingMessage, ServerResponse } from 'node:http';
import { sleep } from '../util/clock.js';
import type { StreamFrame } from './dialect.js';

/** Bodies larger than this are refused with 413, as the real APIs refuse huge ones. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Pause between the two halves of a deliberately split character, so they arrive apart. */
const SPLIT_PAUSE_MS = 10;

/** The request body as text, or undefined when it is larger than MAX_BODY_BYTES. */
export async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Waits, or returns early (without throwing) when the client goes away. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch {
    // Aborted: the caller checks the signal.
  }
}

/** Resolves when the signal aborts; no timer, so a hung request holds nothing but its socket. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/** Options of `sendBody`. */
export interface SendBodyOptions {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Write the body in two writes, splitting the first multi-byte character. */
  splitUtf8?: boolean;
  signal: AbortSignal;
}

/** Writes a whole response with a content-length. */
export async function sendBody(response: ServerResponse, options: SendBodyOptions): Promise<void> {
  const bytes = Buffer.from(options.body, 'utf8');
  response.writeHead(options.status, { ...options.headers, 'content-length': bytes.length });
  if (options.splitUtf8) await writeSplit({ response, bytes, signal: options.signal });
  else response.write(bytes);
  response.end();
}

/** Options of `sendStream`. */
export interface SendStreamOptions {
  headers: Record<string, string>;
  frames: StreamFrame[];
  /** Wait between frames. */
  gapMs: number;
  splitUtf8: boolean;
  signal: AbortSignal;
}

/**
 * Streams SSE frames with a small gap between them. A `drop` frame destroys
 * the socket there; with `splitUtf8` the first frame holding a multi-byte
 * character is written in two parts cut inside that character.
 */
export async function sendStream(response: ServerResponse, options: SendStreamOptions) {
  const { frames, signal } = options;
  response.writeHead(200, { ...options.headers, 'cache-control': 'no-cache' });
  response.flushHeaders();
  let splitPending = options.splitUtf8;
  for (const [index, frame] of frames.entries()) {
    if (signal.aborted) return;
    if (index > 0 && options.gapMs > 0) await pause(options.gapMs, signal);
    if (typeof frame !== 'string') {
      response.socket?.destroy();
      return;
    }
    const bytes = Buffer.from(frame, 'utf8');
    if (splitPending && bytes.length !== frame.length) {
      splitPending = false;
      await writeSplit({ response, bytes, signal });
    } else {
      response.write(bytes);
    }
  }
  response.end();
}

/** Writes `bytes` in two writes, cut after the lead byte of the first multi-byte character. */
async function writeSplit(options: {
  response: ServerResponse;
  bytes: Buffer;
  signal: AbortSignal;
}) {
  const { response, bytes, signal } = options;
  const lead = bytes.findIndex((byte) => byte >= 0xc0);
  const cut = lead < 0 ? Math.floor(bytes.length / 2) : lead + 1;
  const written = new Promise<void>((resolve) =>
    response.write(bytes.subarray(0, cut), () => resolve()),
  );
  await Promise.race([written, untilAborted(signal)]);
  await pause(SPLIT_PAUSE_MS, signal);
  if (!signal.aborted) response.write(bytes.subarray(cut));
}
