import { describe, expect, it } from 'vitest';
import { parseDecimal } from './decimal.js';

describe('parseDecimal', () => {
  it('reads integers, fractions and signs', () => {
    expect(parseDecimal('12')).toBe(12);
    expect(parseDecimal(' 1.5 ')).toBe(1.5);
    expect(parseDecimal('.25')).toBe(0.25);
    expect(parseDecimal('-3')).toBe(-3);
  });

  it('refuses what Number() would quietly accept', () => {
    for (const text of ['', ' ', '0x10', '1e3', 'Infinity', '1.2.3', '12abc', undefined]) {
      expect(parseDecimal(text)).toBeUndefined();
    }
  });
});
