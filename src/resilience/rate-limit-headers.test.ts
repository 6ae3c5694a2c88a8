import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseRateLimitHeaders } from './rate-limit-headers.js';

const NOW_MS = 1755780060000; // Thu, 21 Aug 2025 12:41:00 GMT

describe('parseDurationMs', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360000],
    ['500ms', 500],
    ['1m30s', 90000],
    ['20ms', 20],
    ['2h3m4.5s', 7384500],
    ['0.5s', 500],
    ['59.123s', 59123],
    ['.5s', 500],
    ['0s', 0],
    ['0', 0],
    ['1h', 3600000],
    ['1500us', 1.5],
    ['2µs', 0.002],
    ['1000000ns', 1],
  ])('reads %s as %d ms', (text, expectedMs) => {
    expect(parseDurationMs(text)).toBe(expectedMs);
  });

  it.each(['', 's', '1', '10x', '1.5', '-1s', '+1s', '1s ms', 'soon', '1 s', '1.2.3s'])(
    'refuses %j',
    (text) => {
      expect(parseDurationMs(text)).toBeUndefined();
    },
  );

  it('refuses undefined', () => {
    expect(parseDurationMs(undefined)).toBeUndefined();
  });
});

describe('parseRateLimitHeaders', () => {
  it("reads OpenAI's headers, resets relative to nowMs", () => {
    const headers = {
      'x-ratelimit-limit-requests': '5000',
      'x-ratelimit-limit-tokens': '160000',
      'x-ratelimit-remaining-requests': '4999',
      'x-ratelimit-remaining-tokens': '159976',
      'x-ratelimit-reset-requests': '12ms',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    expect(parseRateLimitHeaders(headers, NOW_MS)).toEqual({
      limitRequests: 5000,
      limitTokens: 160000,
      remainingRequests: 4999,
      remainingTokens: 159976,
      requestsResetAtMs: NOW_MS + 12,
      tokensResetAtMs: NOW_MS + 360000,
    });
  });

  it('leaves out each field that does not parse and keeps the rest', () => {
    const headers = {
      'x-ratelimit-limit-tokens': '-1', // seen from Azure OpenAI
      'x-ratelimit-remaining-tokens': 'lots',
      'x-ratelimit-remaining-requests': '7',
      'x-ratelimit-reset-requests': 'later',
      'x-ratelimit-reset-tokens': '1s',
    };
    expect(parseRateLimitHeaders(headers, NOW_MS)).toEqual({
      remainingRequests: 7,
      tokensResetAtMs: NOW_MS + 1000,
    });
  });

  it('gives undefined when no rate-limit header parses', () => {
    expect(parseRateLimitHeaders({}, NOW_MS)).toBeUndefined();
    expect(
      parseRateLimitHeaders({ 'x-ratelimit-remaining-requests': 'x' }, NOW_MS),
    ).toBeUndefined();
  });

  it("reads Anthropic's headers, taking the tighter of tokens and input-tokens", () => {
    const headers = {
      'anthropic-ratelimit-requests-limit': '1000',
      'anthropic-ratelimit-requests-remaining': '999',
      'anthropic-ratelimit-requests-reset': '2025-08-21T12:41:02Z',
      'anthropic-ratelimit-tokens-limit': '96000',
      'anthropic-ratelimit-tokens-remaining': '90000',
      'anthropic-ratelimit-tokens-reset': '2025-08-21T12:41:05Z',
      'anthropic-ratelimit-input-tokens-limit': '80000',
      'anthropic-ratelimit-input-tokens-remaining': '12000',
      'anthropic-ratelimit-input-tokens-reset': '2025-08-21T12:41:30Z',
      'anthropic-ratelimit-output-tokens-limit': '16000',
      'anthropic-ratelimit-output-tokens-remaining': '0',
      'anthropic-ratelimit-output-tokens-reset': '2025-08-21T12:41:10Z',
    };
    expect(parseRateLimitHeaders(headers, NOW_MS)).toEqual({
      limitRequests: 1000,
      remainingRequests: 999,
      requestsResetAtMs: NOW_MS + 2000,
      limitTokens: 80000,
      remainingTokens: 12000,
      tokensResetAtMs: NOW_MS + 30000,
      limitOutputTokens: 16000,
      remainingOutputTokens: 0,
      outputTokensResetAtMs: NOW_MS + 10000,
    });
  });

  it('takes the tokens budget when it is the tighter one', () => {
    const headers = {
      'anthropic-ratelimit-tokens-limit': '96000',
      'anthropic-ratelimit-tokens-remaining': '500',
      'anthropic-ratelimit-input-tokens-limit': '80000',
      'anthropic-ratelimit-input-tokens-remaining': '79000',
    };
    expect(parseRateLimitHeaders(headers, NOW_MS)).toEqual({
      limitTokens: 96000,
      remainingTokens: 500,
    });
  });

  it("moves Anthropic's resets onto our clock by the response's Date header", () => {
    // The provider's clock is 90 s ahead of ours.
    const headers = {
      date: 'Thu, 21 Aug 2025 12:42:30 GMT',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2025-08-21T12:42:45Z',
    };
    expect(parseRateLimitHeaders(headers, NOW_MS)).toEqual({
      remainingRequests: 0,
      requestsResetAtMs: NOW_MS + 15000,
    });
  });

  it("leaves out Anthropic's reset when it is not an RFC 3339 time", () => {
    const headers = {
      'anthropic-ratelimit-requests-remaining': '3',
      'anthropic-ratelimit-requests-reset': '15s',
    };
    expect(parseRateLimitHeaders(headers, NOW_MS)).toEqual({ remainingRequests: 3 });
  });
});
