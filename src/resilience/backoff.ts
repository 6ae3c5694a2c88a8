import type { Clock } from '../util/clock.js';

export interface FullJitterOptions {
  /** Which retry this is: 0 for the first retry after the first attempt. */
  attempt: number;
  /** The ceiling of the first retry's delay, in ms. Default 500. */
  baseMs?: number;
  /** The largest ceiling any retry can have, in ms. Default 8000. */
  capMs?: number;
  /** A number in [0, 1), usually `clock.random`. */
  random: Clock['random'];
}

/**
 * The "full jitter" backoff delay: a uniform random wait between 0 and
 * `min(capMs, baseMs * 2 ** attempt)`. Spreading retries over the whole range,
 * rather than around a fixed delay, keeps many clients that failed together
 * from retrying together.
 */
export function fullJitterDelayMs(options: FullJitterOptions): number {
  const { baseMs = 500, capMs = 8000, random } = options;
  // A negative, fractional or NaN attempt is a caller's slip; round it down
  // into range rather than return NaN.
  const attempt = Math.max(0, Math.floor(options.attempt)) || 0;

  // 2 ** attempt becomes Infinity past attempt 1023; min() still gives capMs.
  const ceilingMs = Math.min(capMs, baseMs * 2 ** attempt);
  return random() * ceilingMs;
}
