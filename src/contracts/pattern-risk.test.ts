import { describe, expect, it } from 'vitest';
import { patternRisk } from './pattern-risk.js';

const NESTED = 'nested quantifiers can take exponential time; rewrite the pattern';

describe('patternRisk', () => {
  it.each([
    '^(a+)+$',
    '(a*)*',
    '(a|aa)+',
    '^([a-z]+)*x$',
    '(\\d+){2,}',
    '(?:x(ab)*c)+',
    '^([a-z0-9]+(-[a-z0-9]+)*\\.)+[a-z]{2,}$',
    '(.*a){20}',
    '^(?<word>\\w+\\s?)+$',
  ])('refuses a repeated group that can match the same text in many ways: %s', (pattern) => {
    expect(patternRisk(pattern)).toBe(NESTED);
  });

  it.each([
    '^[A-Z]{3}-\\d{4}$',
    '^[a-z0-9]+(?:-[a-z0-9]+)*$',
    '^([a-z]+-)+$',
    '^(\\d{1,3}\\.){3}\\d{1,3}$',
    '^(foo|bar)+$',
    '^\\p{L}+$',
    '^\\u{1F600}+$',
    '(?=.*\\d)[a-z]+',
    '^(a+)$',
  ])('accepts a pattern with one way to match: %s', (pattern) => {
    expect(patternRisk(pattern)).toBeUndefined();
  });

  it('refuses patterns over 1,000 characters and accepts one of exactly 1,000', () => {
    expect(patternRisk('a'.repeat(1001))).toBe('is longer than 1,000 characters');
    expect(patternRisk('a'.repeat(1000))).toBeUndefined();
  });

  it('leaves invalid patterns to the schema compiler', () => {
    expect(patternRisk('(a+')).toBeUndefined();
  });
});
