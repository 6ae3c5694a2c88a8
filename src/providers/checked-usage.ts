import type { Usage } from './types.js';

/** More tokens than any model reads or writes in one call. */
const MAX_PLAUSIBLE_TOKENS = 10_000_000;

/**
 * The provider's token counts, or null when any of them is not a whole
 * number from 0 to 10 million. A negative count would price an attempt below
 * zero (and give budget back); an absurd one would charge a key for nothing
 * it used. Null makes the cost estimated from the request instead, marked
 * `cost_estimated` as for a provider that sent no usage.
 */
export function checkedUsage(usage: Usage): Usage | null {
  for (const count of Object.values(usage)) {
    if (!Number.isInteger(count) || count < 0 || count > MAX_PLAUSIBLE_TOKENS) return null;
  }
  return usage;
}
