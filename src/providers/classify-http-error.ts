import type { Failure, FailureReason } from './types.js';
import type { RawResponse } from './post-json.js';

export interface ErrorBody {
  message: string;
  type?: string;
  code?: string;
}

/**
 * Turns a non-2xx upstream answer into a typed failure. Which errors are worth
 * another try follows the providers' own guidance: 408, 409, 429, 5xx and
 * Anthropic's 529 are transient; an HTML body (a proxy or load balancer page
 * rather than the API) is treated as transient whatever its status.
 */
export function classifyHttpError(response: RawResponse, body: ErrorBody | undefined): Failure {
  const { status } = response;
  const message = body?.message ?? `upstream answered ${status} with a body that is not JSON`;
  const fail = (reason: FailureReason, retryable: boolean, extra?: Partial<Failure>): Failure => ({
    kind: 'failure',
    reason,
    retryable,
    message,
    status,
    headers: response.headers,
    latencyMs: response.latencyMs,
    ...extra,
  });

  if (!body) return fail('bad_response', true);
  if (status === 429) {
    const tooLarge = /request too large|larger than|exceeds? the (rate )?limit/i.test(message);
    return fail('rate_limited', true, tooLarge ? { requestTooLarge: true } : undefined);
  }
  if (status === 529 || body.type === 'overloaded_error') return fail('overloaded', true);
  if (status === 408 || status === 409 || status >= 500) {
    return fail(status === 408 ? 'timeout' : 'server_error', true);
  }
  if (isContextLengthError(body)) return fail('context_length', false);
  if (status === 401 || status === 403) return fail('auth', false);
  if (status === 404) return fail('not_found', false);
  return fail('invalid_request', false);
}

function isContextLengthError(body: ErrorBody): boolean {
  if (body.code === 'context_length_exceeded') return true;
  return /context length|context window|prompt is too long|maximum context/i.test(body.message);
}

/**
 * Reads the error a JSON answer carries. OpenAI, Anthropic and llama.cpp
 * nest it (`{ error: { message, type, code } }`); vLLM puts `message`,
 * `type` and a numeric `code` at the top; Ollama's own API sends
 * `{ error: "text" }` and FastAPI servers `{ detail: "text" }`. A JSON answer
 * in none of these shapes is still the server's answer, classified by its
 * status. Only a body that is not JSON at all (an HTML page from a proxy,
 * text, nothing) gives undefined, which is treated as transient.
 */
export function parseErrorBody(response: RawResponse): ErrorBody | undefined {
  const type = response.headers['content-type'] ?? '';
  if (type.includes('text/html') || /^\s*</.test(response.text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.text);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const top = parsed as Record<string, unknown>;
  const nested =
    top.error && typeof top.error === 'object' ? (top.error as Record<string, unknown>) : top;
  const text =
    [nested.message, top.error, top.detail].find((value) => typeof value === 'string') ??
    `upstream answered ${response.status} with no error message`;
  return {
    message: redactUpstreamMessage(text as string),
    ...(typeof nested.type === 'string' ? { type: nested.type } : {}),
    ...(typeof nested.code === 'string' ? { code: nested.code } : {}),
  };
}

/** The provider keys of this process; see `registerProviderKey`. */
const providerKeys = new Set<string>();

/**
 * Adds a configured provider key to what `redactUpstreamMessage` removes in
 * any form. Patterns alone catch only keys shaped like `sk-…`; a key for a
 * self-hosted server can be any string.
 */
export function registerProviderKey(key: string | undefined): void {
  if (key !== undefined && key.length >= MIN_FRAGMENT) providerKeys.add(key);
}

/** How much of an upstream's error message is kept. */
const MAX_MESSAGE_CHARS = 2000;

/** A run this long of a configured key's characters counts as the key. */
const MIN_FRAGMENT = 8;

/**
 * Upstream error messages reach our callers (in the error and in each
 * attempt), so what identifies our account goes first: the configured keys
 * in any encoding or in pieces, anything shaped like a key (OpenAI's 401
 * quotes the key's prefix and last characters), organisation and project
 * ids (429s name them) and bearer tokens.
 */
export function redactUpstreamMessage(message: string): string {
  // The fragment search is quadratic: an upstream's essay is cut first.
  let text =
    message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
  for (const key of providerKeys) text = withoutKey(text, key);
  return (
    text
      // Whatever the case: some proxies upper-case what they quote.
      .replace(/\b(sk|rk|pk)-[A-Za-z0-9_*\-+/=]{4,}/gi, '[redacted key]')
      // Ids are long and random (org-…, proj_…); 'org-wide' is a word.
      .replace(
        /\b(org|proj)[-_][A-Za-z0-9_\-]{8,}/gi,
        (_, kind: string) => `[redacted ${kind.toLowerCase()}]`,
      )
      .replace(/\b(Bearer)\s+[A-Za-z0-9_\-.=+/]{8,}/gi, '$1 [redacted]')
      // A quoted Basic header, or any base64 run that decodes to a key.
      .replace(/[A-Za-z0-9+/]{24,}={0,2}/g, (run) =>
        /\b(sk|rk|pk)-/i.test(Buffer.from(run, 'base64').toString('latin1')) ? '[redacted]' : run,
      )
  );
}

/** `text` without `key`: encoded (URL, percent, hex, base64 at any offset) or in pieces. */
function withoutKey(text: string, key: string): string {
  const bytes = Buffer.from(key, 'utf8');
  const encoded = [
    encodeURIComponent(key),
    [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
    bytes.toString('hex'),
  ];
  // Base64 of the key after 0, 1 or 2 other bytes: the characters that
  // depend on the key's bytes alone, in both alphabets.
  for (let offset = 0; offset < 3; offset++) {
    const b64 = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const core = b64.slice(offset === 0 ? 0 : 4, -4);
    if (core.length >= MIN_FRAGMENT)
      encoded.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  let result = text;
  for (const form of encoded) {
    result = result.replace(new RegExp(escapeRegExp(form), 'gi'), '[redacted key]');
  }
  return withoutFragments(result, key);
}

/** Replaces every run of at least MIN_FRAGMENT characters of `key` (any case). */
function withoutFragments(text: string, key: string): string {
  const haystack = text.toLowerCase();
  const needle = key.toLowerCase();
  let out = '';
  let i = 0;
  while (i < haystack.length) {
    let longest = 0;
    for (let j = 0; j < needle.length && longest < needle.length - j + 1; j++) {
      let length = 0;
      while (
        i + length < haystack.length &&
        j + length < needle.length &&
        haystack[i + length] === needle[j + length]
      ) {
        length++;
      }
      longest = Math.max(longest, length);
    }
    if (longest >= MIN_FRAGMENT) {
      out += '[redacted key]';
      i += longest;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
