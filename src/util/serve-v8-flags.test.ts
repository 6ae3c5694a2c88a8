import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from './heap-growth.js';

describe('limitHeapGrowth', () => {
  it('leaves a growth the command line set alone', () => {
    expect(limitHeapGrowth(['--heap-growing-percent=80'])).toBe(false);
    expect(limitHeapGrowth(['--heap_growing_percent', '80'])).toBe(false);
  });

  it('sets the growth otherwise', () => {
    expect(limitHeapGrowth([])).toBe(true);
  });
});
