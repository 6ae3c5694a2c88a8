import { describe, expect, it } from 'vitest';
import { median, percentile } from './percentile.js';

describe('percentile', () => {
  it('answers the nearest-rank value of an unsorted list', () => {
    const values = [9, 1, 8, 2, 7, 3, 6, 4, 5, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 0)).toBe(1);
  });

  it('leaves the input list in its order', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it('answers undefined for no values', () => {
    expect(percentile([], 50)).toBeUndefined();
  });

  it('rejects a percentile outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow('percentile must be in 0..100, got 101');
  });
});

describe('median', () => {
  it('takes the middle of an odd count and the mean of the middle two of an even one', () => {
    expect(median([0.9, 0.2, 0.4])).toBe(0.4);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });
});
