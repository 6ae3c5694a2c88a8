import { parseDecimal } from './decimal.js';
import { parseHttpDateMs } from './http-date.js';
import { parseRfc3339Ms } from './rfc3339.js';

/**
 * What a provider's response headers said about its rate limits. Each field is
 * present only when its header parsed. Reset times are epoch ms on our clock.
 */
export interface RateLimitSnapshot {
  remainingRequests?: number;
  /** The tightest token budget the response reported. */
  remainingTokens?: number;
  limitRequests?: number;
  limitTokens?: number;
  requestsResetAtMs?: number;
  tokensResetAtMs?: number;
  /** Anthropic limits output tokens apart from the input budget above. */
  remainingOutputTokens?: number;
  limitOutputTokens?: number;
  outputTokensResetAtMs?: number;
}

const NS_PER_MS = 1e6;
const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign, which Go writes
  μs: 1e3, // U+03BC Greek mu, which Go also accepts
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
const UNIT = '(ns|us|µs|μs|ms|s|m|h)';
const DURATION = new RegExp(`^(?:(?:\\d+(?:\\.\\d*)?|\\.\\d+)${UNIT})+$`);
const COMPONENT = new RegExp(`(\\d*)(?:\\.(\\d*))?${UNIT}`, 'g');

/**
 * Parses a Go duration as OpenAI sends it in `x-ratelimit-reset-*` (`1s`,
 * `6m0s`, `500ms`, `2h3m4.5s`, `0.5s`) to milliseconds, which may be
 * fractional below 1 ms. Signs are refused: a reset is never in the past.
 * Returns undefined for anything else.
 */
export function parseDurationMs(text: string | undefined): number | undefined {
  const value = text?.trim();
  if (value === '0') return 0; // Go writes zero as `0s` but also reads `0`.
  if (value === undefined || !DURATION.test(value)) return undefined;

  // Summed in whole nanoseconds, as Go does, so that `59.123s` is exactly
  // 59123 ms rather than a float's 59123.00000000001.
  let totalNs = 0;
  for (const [, whole = '', fraction = '', unit = ''] of value.matchAll(COMPONENT)) {
    const unitNs = UNIT_NS[unit] ?? NaN;
    totalNs += Number(whole) * unitNs + Math.round(Number(`0.${fraction}`) * unitNs);
  }

  const ms = totalNs / NS_PER_MS;
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Reads OpenAI's `x-ratelimit-*` and Anthropic's `anthropic-ratelimit-*`
 * headers (names lower-cased). Returns undefined when no field parsed.
 *
 * OpenAI gives resets as durations, which are added to `nowMs`. Anthropic
 * gives RFC 3339 times on its own clock; when the response's `date` header
 * parses they are moved onto ours by the difference, as with `retry-after`.
 * `date` has whole seconds, so a reset may come out up to 1 s late, never
 * early. Of Anthropic's `tokens` and `input-tokens` budgets, the one with
 * fewer tokens remaining becomes the token budget.
 */
export function parseRateLimitHeaders(
  headers: Record<string, string>,
  nowMs: number,
): RateLimitSnapshot | undefined {
  // Each provider sends only its own family; the other is not parsed at all.
  const snapshot = withoutUndefined(
    Object.assign(
      {},
      hasHeaderStarting(headers, 'x-ratelimit-') ? openAiFields(headers, nowMs) : {},
      hasHeaderStarting(headers, 'anthropic-ratelimit-')
        ? withoutUndefined(anthropicFields(headers, nowMs))
        : {},
    ),
  );
  return Object.keys(snapshot).length > 0 ? snapshot : undefined;
}

function openAiFields(headers: Record<string, string>, nowMs: number): RateLimitSnapshot {
  return {
    remainingRequests: parseCount(headers['x-ratelimit-remaining-requests']),
    remainingTokens: parseCount(headers['x-ratelimit-remaining-tokens']),
    limitRequests: parseCount(headers['x-ratelimit-limit-requests']),
    limitTokens: parseCount(headers['x-ratelimit-limit-tokens']),
    requestsResetAtMs: addMs(nowMs, parseDurationMs(headers['x-ratelimit-reset-requests'])),
    tokensResetAtMs: addMs(nowMs, parseDurationMs(headers['x-ratelimit-reset-tokens'])),
  };
}

interface LimitWindow {
  remaining?: number;
  limit?: number;
  resetAtMs?: number;
}

function hasHeaderStarting(headers: Record<string, string>, prefix: string): boolean {
  for (const name in headers) if (name.startsWith(prefix)) return true;
  return false;
}

function anthropicFields(headers: Record<string, string>, nowMs: number): RateLimitSnapshot {
  const sentAtMs = parseHttpDateMs(headers['date']);
  const read = (name: string) => anthropicWindow({ headers, name, nowMs, sentAtMs });
  const requests = read('requests');
  const tokens = tighter(read('tokens'), read('input-tokens'));
  const output = read('output-tokens');

  return {
    remainingRequests: requests.remaining,
    limitRequests: requests.limit,
    requestsResetAtMs: requests.resetAtMs,
    remainingTokens: tokens.remaining,
    limitTokens: tokens.limit,
    tokensResetAtMs: tokens.resetAtMs,
    remainingOutputTokens: output.remaining,
    limitOutputTokens: output.limit,
    outputTokensResetAtMs: output.resetAtMs,
  };
}

function anthropicWindow(options: {
  headers: Record<string, string>;
  name: string;
  nowMs: number;
  /** The response's `date` header, parsed. */
  sentAtMs: number | undefined;
}): LimitWindow {
  const { headers, name, nowMs, sentAtMs } = options;
  const prefix = `anthropic-ratelimit-${name}-`;
  const resetAtMs = parseRfc3339Ms(headers[`${prefix}reset`]);

  return {
    remaining: parseCount(headers[`${prefix}remaining`]),
    limit: parseCount(headers[`${prefix}limit`]),
    resetAtMs:
      resetAtMs === undefined || sentAtMs === undefined
        ? resetAtMs
        : nowMs + (resetAtMs - sentAtMs),
  };
}

function tighter(a: LimitWindow, b: LimitWindow): LimitWindow {
  if (b.remaining === undefined) return a;
  if (a.remaining === undefined) return b;
  return b.remaining < a.remaining ? b : a;
}

// Azure OpenAI has been seen sending -1; a negative count means nothing here.
function parseCount(text: string | undefined): number | undefined {
  const count = parseDecimal(text);
  return count !== undefined && count >= 0 ? count : undefined;
}

function addMs(nowMs: number, durationMs: number | undefined): number | undefined {
  return durationMs === undefined ? undefined : nowMs + durationMs;
}

function withoutUndefined<T extends object>(record: T): T {
  const entries = Object.entries(record).filter(([, value]) => value !== undefined);
  return Object.fromEntries(entries) as T;
}
