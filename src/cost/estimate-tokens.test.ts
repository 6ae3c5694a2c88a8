import { describe, expect, it } from 'vitest';
import { countMessageTokens, countTokens } from './count-tokens.js';
import { estimateMessageTokens, estimateTokens } from './estimate-tokens.js';

const ENGLISH =
  'The parcel arrived broken and support never answered my three emails, ' +
  'so I would like a refund of the full amount to the original card.';
const CODE = 'function add(a, b) {\n  return a + b; // sum\n}\nconsole.log(add(2, 3));';

describe('estimateTokens', () => {
  it('is the UTF-8 length over 2.5, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('ab')).toBe(1);
    expect(estimateTokens('abcdef')).toBe(3);
    // é is two bytes, 日 three.
    expect(estimateTokens('é日')).toBe(2);
  });

  it('errs high against o200k for English and code, within a factor of two', () => {
    for (const text of [ENGLISH, CODE]) {
      const exact = countTokens(text);
      expect(estimateTokens(text)).toBeGreaterThanOrEqual(exact);
      expect(estimateTokens(text)).toBeLessThanOrEqual(exact * 2);
    }
  });

  it('adds four tokens of framing a message and three for the reply', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: ENGLISH }] },
    ];
    expect(estimateMessageTokens(messages)).toBe(
      3 + 4 + estimateTokens('Be brief.') + 4 + estimateTokens(ENGLISH),
    );
    expect(estimateMessageTokens(messages)).toBeGreaterThanOrEqual(countMessageTokens(messages));
  });
});
