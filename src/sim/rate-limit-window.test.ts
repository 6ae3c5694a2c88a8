import { describe, expect, it } from 'vitest';
import { anthropicRateHeaders, formatGoDuration, openaiRateHeaders } from './rate-limit-headers.js';
import { RateLimitWindow } from './rate-limit-window.js';

describe('formatGoDuration', () => {
  it('writes durations as Go does', () => {
    expect(formatGoDuration(0)).toBe('0s');
    expect(formatGoDuration(20)).toBe('20ms');
    expect(formatGoDuration(1000)).toBe('1s');
    expect(formatGoDuration(1500)).toBe('1.5s');
    expect(formatGoDuration(360_000)).toBe('6m0s');
    expect(formatGoDuration(90_250)).toBe('1m30.25s');
    expect(formatGoDuration(3_600_000)).toBe('1h0m0s');
  });
});

describe('RateLimitWindow', () => {
  it('refuses the request over the limit until the window rolls over', () => {
    let nowMs = 0;
    const window = new RateLimitWindow({
      limit: { requests: 1, tokens: 100, windowMs: 1000 },
      now: () => nowMs,
    });
    expect(window.admit(10)).toBeUndefined();
    nowMs = 400;
    expect(window.admit(10)).toEqual({
      resource: 'requests',
      limit: 1,
      used: 1,
      retryAfterMs: 600,
    });
    nowMs = 1000;
    expect(window.admit(10)).toBeUndefined();
  });

  it('refuses a request whose prompt would overrun the tokens left', () => {
    const window = new RateLimitWindow({
      limit: { requests: 10, tokens: 100, windowMs: 1000 },
      now: () => 0,
    });
    expect(window.admit(30)).toBeUndefined();
    window.charge({ inputTokens: 30, outputTokens: 50 });
    expect(window.admit(30)).toMatchObject({ resource: 'tokens', used: 80 });
    expect(window.snapshot()).toMatchObject({
      remainingRequests: 9,
      remainingTokens: 20,
      remainingInputTokens: 70,
      remainingOutputTokens: 50,
    });
  });

  it('never refuses without a configured limit', () => {
    const window = new RateLimitWindow({ now: () => 0 });
    for (let i = 0; i < 20; i++) expect(window.admit(1_000_000)).toBeUndefined();
  });
});

describe('rate-limit headers', () => {
  const snapshot = {
    limitRequests: 50,
    remainingRequests: 49,
    limitTokens: 1000,
    remainingTokens: 900,
    remainingInputTokens: 950,
    remainingOutputTokens: 950,
    resetMs: 1500,
  };

  it('writes OpenAI headers, overridden by faults', () => {
    expect(openaiRateHeaders(snapshot)).toEqual({
      'x-ratelimit-limit-requests': '50',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-requests': '49',
      'x-ratelimit-remaining-tokens': '900',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-reset-tokens': '1.5s',
    });
    expect(
      openaiRateHeaders(snapshot, { remainingTokens: 7 })['x-ratelimit-remaining-tokens'],
    ).toBe('7');
  });

  it('writes Anthropic headers with whole-second RFC 3339 resets', () => {
    const nowMs = Date.parse('2025-01-01T00:00:00.200Z');
    const headers = anthropicRateHeaders({ snapshot, nowMs });
    expect(headers['anthropic-ratelimit-requests-reset']).toBe('2025-01-01T00:00:02Z');
    expect(headers['anthropic-ratelimit-output-tokens-remaining']).toBe('950');
    expect(headers['anthropic-ratelimit-tokens-remaining']).toBe('900');
  });
});
