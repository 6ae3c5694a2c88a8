import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { countTokens } from './count-tokens.js';

describe('countTokens', () => {
  it('counts long ordinary text the same in pieces as whole', () => {
    const text = 'The parcel arrived broken and support never answered. '.repeat(40);
    const whole = new Tiktoken(o200kBase).encode(text).length;
    expect(text.length).toBeGreaterThan(2000);
    expect(countTokens(text)).toBe(whole);
  });

  it('counts a 200,000-character run without spaces in a bounded number of pieces', () => {
    const run = 'd'.repeat(200_000);
    const tokens = countTokens(run);
    // 64-character pieces of one letter take about 8 tokens each.
    expect(tokens).toBeGreaterThan(200_000 / 64);
    expect(tokens).toBeLessThan(200_000 / 2);
  });
});
