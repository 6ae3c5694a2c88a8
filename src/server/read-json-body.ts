import type { IncomingMessage } from 'node:http';
import { GatewayError, invalidRequest } from '../errors/gateway-error.js';

/**
 * Reads a request body up to `limitBytes` and parses it as a JSON object.
 * Past the limit it answers 413 without buffering the rest; a compressed
 * body answers 415; a body that is not JSON, or JSON that is not an object,
 * answers 400.
 */
export async function readJsonBody(
  request: IncomingMessage,
  options: { limitBytes: number },
): Promise<Record<string, unknown>> {
  // The body is read as it comes; a compressed one would only fail as "not
  // valid JSON", which hides the real cause.
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw new GatewayError(
      'unsupported_media_type',
      `content-encoding: "${encoding.slice(0, 40)}" is not accepted; send the JSON body uncompressed`,
      { details: { field: 'content-encoding' } },
    );
  }
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.limitBytes)
    throw tooLarge(options.limitBytes);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > options.limitBytes) throw tooLarge(options.limitBytes);
    chunks.push(chunk as Buffer);
  }
  // A byte order mark is no part of the JSON; some Windows tools write one.
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  if (text.trim() === '') throw invalidRequest('body', 'is empty; send a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidRequest('body', `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidRequest('body', 'must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function tooLarge(limitBytes: number): GatewayError {
  return new GatewayError(
    'payload_too_large',
    `body: larger than the limit of ${limitBytes} bytes`,
    {
      details: { field: 'body', limit_bytes: limitBytes },
    },
  );
}
