import { describe, expect, it } from 'vitest';
import { applyServeV8Flags } from './serve-v8-flags.js';

describe('applyServeV8Flags', () => {
  it('sets both flags when the operator set neither', () => {
    expect(applyServeV8Flags({ execArgv: [], nodeOptions: undefined })).toEqual([
      '--heap-growing-percent=30',
      '--liftoff-only',
    ]);
  });

  it('leaves a flag given on the command line alone, in either spelling', () => {
    expect(
      applyServeV8Flags({ execArgv: ['--heap_growing_percent', '80'], nodeOptions: '' }),
    ).toEqual(['--liftoff-only']);
    expect(applyServeV8Flags({ execArgv: ['--no-liftoff-only'], nodeOptions: '' })).toEqual([
      '--heap-growing-percent=30',
    ]);
  });

  it('leaves a flag given in NODE_OPTIONS alone', () => {
    expect(
      applyServeV8Flags({
        execArgv: [],
        nodeOptions: '--max-old-space-size=512  --heap-growing-percent=80 --liftoff-only',
      }),
    ).toEqual([]);
  });

  it('does not take a longer flag for one of its own', () => {
    expect(
      applyServeV8Flags({ execArgv: ['--heap-growing-percentile=1'], nodeOptions: '' }),
    ).toEqual(['--heap-growing-percent=30', '--liftoff-only']);
  });
});
