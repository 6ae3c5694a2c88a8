import { describe, expect, it } from 'vitest';
import { applyServeV8Flags } from './serve-v8-flags.js';

describe('applyServeV8Flags', () => {
  it('sets both flags when the command line set neither', () => {
    expect(applyServeV8Flags(['--max-semi-space-size=8'])).toEqual([
      '--heap-growing-percent=30',
      '--liftoff-only',
    ]);
  });

  it('leaves a flag given on the command line alone, in either spelling', () => {
    expect(applyServeV8Flags(['--heap_growing_percent', '80'])).toEqual(['--liftoff-only']);
    expect(applyServeV8Flags(['--no-liftoff-only'])).toEqual(['--heap-growing-percent=30']);
    expect(applyServeV8Flags(['--heap-growing-percent=80', '--liftoff-only'])).toEqual([]);
  });

  it('does not take a longer flag for one of its own', () => {
    expect(applyServeV8Flags(['--heap-growing-percentile=1'])).toEqual([
      '--heap-growing-percent=30',
      '--liftoff-only',
    ]);
  });
});
