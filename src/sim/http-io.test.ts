import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { sendBody, sendStream } from './http-io.js';

/** A stand-in response that records each write as it would reach the socket. */
function recordingResponse() {
  const writes: Buffer[] = [];
  let destroyed = false;
  const response = {
    writeHead: () => response,
    flushHeaders: () => {},
    write: (chunk: Buffer, callback?: () => void) => {
      writes.push(Buffer.from(chunk));
      callback?.();
      return true;
    },
    end: () => {},
    socket: { destroy: () => void (destroyed = true) },
  };
  return {
    response: response as unknown as ServerResponse,
    writes,
    destroyed: () => destroyed,
  };
}

function decodesAlone(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe('split UTF-8 writes', () => {
  it('cuts a streamed frame inside its first multi-byte character', async () => {
    const { response, writes } = recordingResponse();
    const frames = ['data: plain\n\n', 'data: café ✓ 日本\n\n', 'data: [DONE]\n\n'];
    const signal = new AbortController().signal;
    await sendStream(response, { headers: {}, frames, gapMs: 0, splitUtf8: true, signal });
    expect(writes).toHaveLength(4);
    expect(decodesAlone(writes[1] ?? Buffer.alloc(0))).toBe(false);
    expect(Buffer.concat(writes).toString('utf8')).toBe(frames.join(''));
  });

  it('cuts a whole body inside a character when asked', async () => {
    const { response, writes } = recordingResponse();
    const body = '{"text":"日本"}';
    const signal = new AbortController().signal;
    await sendBody(response, { status: 200, headers: {}, body, splitUtf8: true, signal });
    expect(writes).toHaveLength(2);
    expect(decodesAlone(writes[0] ?? Buffer.alloc(0))).toBe(false);
    expect(Buffer.concat(writes).toString('utf8')).toBe(body);
  });

  it('destroys the socket at a drop frame and writes nothing after it', async () => {
    const recording = recordingResponse();
    const frames = ['data: a\n\n', { drop: true as const }, 'data: b\n\n'];
    const signal = new AbortController().signal;
    await sendStream(recording.response, {
      headers: {},
      frames,
      gapMs: 0,
      splitUtf8: false,
      signal,
    });
    expect(recording.destroyed()).toBe(true);
    expect(Buffer.concat(recording.writes).toString('utf8')).toBe('data: a\n\n');
  });
});
