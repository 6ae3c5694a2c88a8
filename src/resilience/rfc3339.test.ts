import { describe, expect, it } from 'vitest';
import { parseRfc3339Ms } from './rfc3339.js';

describe('parseRfc3339Ms', () => {
  it('reads a UTC time as Anthropic sends it', () => {
    expect(parseRfc3339Ms('2025-08-21T12:40:59Z')).toBe(1755780059000);
  });

  it('reads fractional seconds exactly, to the millisecond', () => {
    expect(parseRfc3339Ms('2025-08-21T12:40:59.57Z')).toBe(1755780059570);
    expect(parseRfc3339Ms('2025-08-21T12:40:59.123456789Z')).toBe(1755780059123);
  });

  it('applies a zone offset', () => {
    expect(parseRfc3339Ms('2025-08-21T14:40:59+02:00')).toBe(1755780059000);
    expect(parseRfc3339Ms('2025-08-21T07:10:59-05:30')).toBe(1755780059000);
  });

  it('refuses garbage, missing zones and impossible dates', () => {
    for (const text of [
      'soon',
      '2025-08-21T12:40:59',
      '2025-02-30T00:00:00Z',
      '2025-08-21T12:40:59+25:00',
    ]) {
      expect(parseRfc3339Ms(text)).toBeUndefined();
    }
  });
});
