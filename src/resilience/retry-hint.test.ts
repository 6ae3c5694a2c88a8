import { describe, expect, it } from 'vitest';
import { parseRetryHintMs } from './retry-hint.js';

const NOW_MS = 1755780060000; // Thu, 21 Aug 2025 12:41:00 GMT

describe('parseRetryHintMs', () => {
  it('reads retry-after as delta-seconds', () => {
    expect(parseRetryHintMs({ 'retry-after': '20' }, NOW_MS)).toBe(20000);
  });

  it('reads fractional delta-seconds', () => {
    expect(parseRetryHintMs({ 'retry-after': '1.5' }, NOW_MS)).toBe(1500);
    expect(parseRetryHintMs({ 'retry-after': '1.1' }, NOW_MS)).toBe(1100);
  });

  it('lets retry-after-ms win over retry-after', () => {
    const headers = { 'retry-after-ms': '1234.6', 'retry-after': '20' };
    expect(parseRetryHintMs(headers, NOW_MS)).toBe(1235);
  });

  it('falls back to retry-after when retry-after-ms is garbage', () => {
    const headers = { 'retry-after-ms': 'soon', 'retry-after': '2' };
    expect(parseRetryHintMs(headers, NOW_MS)).toBe(2000);
  });

  it("measures an HTTP-date against the response's own Date header", () => {
    // Our clock runs 2 minutes behind the provider's; the skew must not count.
    const headers = {
      date: 'Thu, 21 Aug 2025 12:43:00 GMT',
      'retry-after': 'Thu, 21 Aug 2025 12:43:30 GMT',
    };
    expect(parseRetryHintMs(headers, NOW_MS)).toBe(30000);
  });

  it('measures an HTTP-date against nowMs when Date is missing or garbage', () => {
    const retryAfter = 'Thu, 21 Aug 2025 12:41:45 GMT';
    expect(parseRetryHintMs({ 'retry-after': retryAfter }, NOW_MS)).toBe(45000);
    expect(parseRetryHintMs({ 'retry-after': retryAfter, date: 'yesterday' }, NOW_MS)).toBe(45000);
  });

  it('gives 0 for a wait in the past', () => {
    expect(parseRetryHintMs({ 'retry-after': 'Thu, 21 Aug 2025 12:40:00 GMT' }, NOW_MS)).toBe(0);
    expect(parseRetryHintMs({ 'retry-after': '-5' }, NOW_MS)).toBe(0);
    expect(parseRetryHintMs({ 'retry-after-ms': '-250' }, NOW_MS)).toBe(0);
  });

  it('gives undefined when nothing parses, so the caller uses its backoff', () => {
    expect(parseRetryHintMs({}, NOW_MS)).toBeUndefined();
    expect(parseRetryHintMs({ 'retry-after': 'in a bit' }, NOW_MS)).toBeUndefined();
    expect(parseRetryHintMs({ 'retry-after': '' }, NOW_MS)).toBeUndefined();
    expect(parseRetryHintMs({ 'retry-after-ms': '1e3' }, NOW_MS)).toBeUndefined();
  });
});
