import { setFlagsFromString } from 'node:v8';

/** How much V8 lets the old generation grow past what survived the last full GC. */
export const SERVE_HEAP_GROWING_PERCENT = 30;

/**
 * V8 settings `switchyard serve` makes at start, before it loads providers.
 * Both are read by V8 whenever it needs them (the next heap limit, the next
 * WebAssembly compilation), so they take effect when set at run time. A
 * setting the operator gave on the command line (`node
 * --heap-growing-percent=80 dist/cli/main.js serve`, `node --no-liftoff-only
 * ...`) is left as it is; Node refuses both in NODE_OPTIONS. Neither caps
 * anything.
 *
 * - `--heap-growing-percent`: under load V8 lets the old generation grow up
 *   to four times what survived the last full collection before it collects
 *   again. The gateway's live heap is small (~20 MB) and its garbage is all
 *   per request, so that is resident memory held for nothing.
 * - `--liftoff-only`: undici parses HTTP with llhttp compiled to WebAssembly.
 *   When load starts, V8 recompiles its hot functions with its optimising
 *   compiler, and llhttp's parser is one very large function: that burst
 *   took 25 MB of resident memory for about a second, which was the
 *   process's peak. The baseline compiler's code parses a response a few
 *   microseconds slower, against the ~0.4 ms the gateway adds per request.
 */
export const SERVE_V8_FLAGS: readonly { pattern: RegExp; flag: string }[] = [
  {
    pattern: /^--heap[-_]growing[-_]percent\b/,
    flag: `--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`,
  },
  { pattern: /^--(no-?)?liftoff[-_]only\b/, flag: '--liftoff-only' },
];

/** Sets each of SERVE_V8_FLAGS the command line did not set; returns those it set. */
export function applyServeV8Flags(execArgv: readonly string[] = process.execArgv): string[] {
  const applied: string[] = [];
  for (const { pattern, flag } of SERVE_V8_FLAGS) {
    if (execArgv.some((arg) => pattern.test(arg))) continue;
    setFlagsFromString(flag);
    applied.push(flag);
  }
  return applied;
}
