import { describe, expect, it } from 'vitest';
import { fullJitterDelayMs } from './backoff.js';

describe('fullJitterDelayMs', () => {
  it('scales the random draw by base × 2^attempt', () => {
    expect(fullJitterDelayMs({ attempt: 0, random: () => 0.5 })).toBe(250);
    expect(fullJitterDelayMs({ attempt: 1, random: () => 0.5 })).toBe(500);
    expect(fullJitterDelayMs({ attempt: 3, random: () => 0.25 })).toBe(1000);
  });

  it('never lets the ceiling pass capMs', () => {
    expect(fullJitterDelayMs({ attempt: 4, random: () => 0.5 })).toBe(4000);
    expect(fullJitterDelayMs({ attempt: 10, random: () => 0.5 })).toBe(4000);
    expect(fullJitterDelayMs({ attempt: 5000, random: () => 0.5 })).toBe(4000);
  });

  it('takes its own base and cap', () => {
    expect(fullJitterDelayMs({ attempt: 2, baseMs: 100, capMs: 300, random: () => 0.5 })).toBe(150);
  });

  it('is 0 when the draw is 0', () => {
    expect(fullJitterDelayMs({ attempt: 3, random: () => 0 })).toBe(0);
  });

  it('treats a negative or NaN attempt as the first retry', () => {
    expect(fullJitterDelayMs({ attempt: -2, random: () => 0.5 })).toBe(250);
    expect(fullJitterDelayMs({ attempt: Number.NaN, random: () => 0.5 })).toBe(250);
  });
});
