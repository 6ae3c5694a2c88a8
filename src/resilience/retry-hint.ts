import { parseDecimal } from './decimal.js';
import { parseHttpDateMs } from './http-date.js';

/**
 * How long the upstream asked us to wait before retrying, in whole ms, from
 * response headers whose names are lower-cased (as provider clients give them).
 *
 * - `retry-after-ms` (a float, in ms; OpenAI and Anthropic send it) wins.
 * - Otherwise `retry-after`, as delta-seconds (fractions allowed) or an
 *   HTTP-date. A date is measured against the response's own `date` header
 *   when that parses, so a skew between our clock and the provider's does not
 *   matter; else against `nowMs`.
 *
 * A wait in the past is 0. Returns undefined when neither header parses; the
 * caller then falls back to its own backoff.
 */
export function parseRetryHintMs(
  headers: Record<string, string>,
  nowMs: number,
): number | undefined {
  const hintMs = parseDecimal(headers['retry-after-ms']) ?? parseRetryAfterMs(headers, nowMs);
  if (hintMs === undefined) return undefined;

  return Math.max(0, Math.round(hintMs));
}

function parseRetryAfterMs(headers: Record<string, string>, nowMs: number): number | undefined {
  const value = headers['retry-after'];

  const seconds = parseDecimal(value);
  if (seconds !== undefined) return seconds * 1000;

  const retryAtMs = parseHttpDateMs(value);
  if (retryAtMs === undefined) return undefined;

  const sentAtMs = parseHttpDateMs(headers['date']) ?? nowMs;
  return retryAtMs - sentAtMs;
}
