import { describe, expect, it } from 'vitest';
import { parseHttpDateMs } from './http-date.js';

const NOV_6_1994 = 784111777000; // Sun, 06 Nov 1994 08:49:37 GMT

describe('parseHttpDateMs', () => {
  it('reads an IMF-fixdate', () => {
    expect(parseHttpDateMs('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(NOV_6_1994);
    expect(parseHttpDateMs('Thu, 21 Aug 2025 12:41:00 GMT')).toBe(1755780060000);
  });

  it('reads the obsolete RFC 850 and asctime forms as UTC', () => {
    expect(parseHttpDateMs('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(NOV_6_1994);
    expect(parseHttpDateMs('Sun Nov  6 08:49:37 1994')).toBe(NOV_6_1994);
  });

  it('reads an RFC 850 two-digit year below 70 as this century', () => {
    expect(parseHttpDateMs('Thursday, 21-Aug-25 12:41:00 GMT')).toBe(1755780060000);
  });

  it('refuses text Date.parse would guess at', () => {
    for (const text of ['foo 2', '1', '2025-08-21T12:41:00Z', 'Sun, 06 Nov 1994 08:49:37 PST']) {
      expect(parseHttpDateMs(text)).toBeUndefined();
    }
  });

  it('refuses a day that the month does not have', () => {
    expect(parseHttpDateMs('Sat, 31 Feb 2025 00:00:00 GMT')).toBeUndefined();
    expect(parseHttpDateMs('Sun, 06 Foo 1994 08:49:37 GMT')).toBeUndefined();
    expect(parseHttpDateMs('Sun, 06 Nov 1994 24:00:00 GMT')).toBeUndefined();
  });
});
