import type { RateLimitSnapshot } from './rate-limit-window.js';

/**
 * A duration the way OpenAI writes rate-limit resets, which is Go's
 * `time.Duration` format: `20ms`, `1s`, `1.5s`, `6m0s`, `1h0m0s`.
 */
export function formatGoDuration(durationMs: number): string {
  const ms = Math.max(0, Math.round(durationMs));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}

/** Overrides a fault puts on the headers: nothing left, or few tokens left. */
export interface RateHeaderOverrides {
  exhausted?: boolean;
  /** Milliseconds until reset to report when exhausted. */
  exhaustedResetMs?: number;
  remainingTokens?: number;
}

/** OpenAI's `x-ratelimit-*` headers. */
export function openaiRateHeaders(
  snapshot: RateLimitSnapshot,
  overrides: RateHeaderOverrides = {},
): Record<string, string> {
  const exhausted = overrides.exhausted === true;
  const resetMs = exhausted ? (overrides.exhaustedResetMs ?? snapshot.resetMs) : snapshot.resetMs;
  const remainingTokens = overrides.remainingTokens ?? snapshot.remainingTokens;
  return {
    'x-ratelimit-limit-requests': String(snapshot.limitRequests),
    'x-ratelimit-limit-tokens': String(snapshot.limitTokens),
    'x-ratelimit-remaining-requests': String(exhausted ? 0 : snapshot.remainingRequests),
    'x-ratelimit-remaining-tokens': String(exhausted ? 0 : remainingTokens),
    'x-ratelimit-reset-requests': formatGoDuration(resetMs),
    'x-ratelimit-reset-tokens': formatGoDuration(resetMs),
  };
}

/** Anthropic's `anthropic-ratelimit-*` headers, with RFC 3339 reset times. */
export function anthropicRateHeaders(options: {
  snapshot: RateLimitSnapshot;
  nowMs: number;
  overrides?: RateHeaderOverrides;
}): Record<string, string> {
  const { snapshot, nowMs, overrides = {} } = options;
  const exhausted = overrides.exhausted === true;
  const resetMs = exhausted ? (overrides.exhaustedResetMs ?? snapshot.resetMs) : snapshot.resetMs;
  // Anthropic writes whole seconds: 2025-08-21T12:40:59Z.
  const reset = new Date(Math.ceil((nowMs + resetMs) / 1000) * 1000)
    .toISOString()
    .replace('.000', '');
  const tokens = (remaining: number) =>
    String(exhausted ? 0 : (overrides.remainingTokens ?? remaining));
  const headers: Record<string, string> = {
    'anthropic-ratelimit-requests-limit': String(snapshot.limitRequests),
    'anthropic-ratelimit-requests-remaining': String(exhausted ? 0 : snapshot.remainingRequests),
    'anthropic-ratelimit-requests-reset': reset,
  };
  const groups: Array<[string, number]> = [
    ['tokens', snapshot.remainingTokens],
    ['input-tokens', snapshot.remainingInputTokens],
    ['output-tokens', snapshot.remainingOutputTokens],
  ];
  for (const [group, remaining] of groups) {
    headers[`anthropic-ratelimit-${group}-limit`] = String(snapshot.limitTokens);
    headers[`anthropic-ratelimit-${group}-remaining`] = tokens(remaining);
    headers[`anthropic-ratelimit-${group}-reset`] = reset;
  }
  return headers;
}
