import type { ModelPrice } from './price-table.js';

/**
 * The shipped price table: list prices in USD per million tokens, standard
 * (not batch, not priority) tier, as the providers published them. Prices
 * change; pin dated model names and override or extend this table in the
 * configuration's `prices.models` rather than editing it in place.
 *
 * OpenAI bills cached prompt tokens at the cached rate and counts reasoning
 * tokens inside completion tokens. Anthropic bills cache reads and cache
 * writes apart from `input_tokens`; its 5-minute cache write rate is listed.
 */
export const DEFAULT_PRICES_AS_OF = '2025-11-30';

export const DEFAULT_PRICES: Record<string, ModelPrice> = {
  // OpenAI, the three models the original design note names.
  'gpt-4o-mini-2024-07-18': price(0.15, 0.075, 0.6, { contextWindow: 128_000 }),
  'gpt-4o-2024-08-06': price(2.5, 1.25, 10, { contextWindow: 128_000 }),
  'o1-2024-12-17': price(15, 7.5, 60, { contextWindow: 200_000, reasoning: true }),
  // OpenAI, later models.
  'gpt-4o-2024-11-20': price(2.5, 1.25, 10, { contextWindow: 128_000 }),
  'gpt-4.1-2025-04-14': price(2, 0.5, 8, { contextWindow: 1_047_576 }),
  'gpt-4.1-mini-2025-04-14': price(0.4, 0.1, 1.6, { contextWindow: 1_047_576 }),
  'gpt-4.1-nano-2025-04-14': price(0.1, 0.025, 0.4, { contextWindow: 1_047_576 }),
  'o3-mini-2025-01-31': price(1.1, 0.55, 4.4, { contextWindow: 200_000, reasoning: true }),
  'o3-2025-04-16': price(2, 0.5, 8, { contextWindow: 200_000, reasoning: true }),
  'o4-mini-2025-04-16': price(1.1, 0.275, 4.4, { contextWindow: 200_000, reasoning: true }),
  'gpt-5-2025-08-07': price(1.25, 0.125, 10, { contextWindow: 400_000, reasoning: true }),
  'gpt-5-mini-2025-08-07': price(0.25, 0.025, 2, { contextWindow: 400_000, reasoning: true }),
  'gpt-5-nano-2025-08-07': price(0.05, 0.005, 0.4, { contextWindow: 400_000, reasoning: true }),
  // Anthropic: input, cache read, output; cache write (5 minutes) beside.
  'claude-3-5-haiku-20241022': price(0.8, 0.08, 4, { cacheWrite: 1, contextWindow: 200_000 }),
  'claude-3-7-sonnet-20250219': price(3, 0.3, 15, { cacheWrite: 3.75, contextWindow: 200_000 }),
  'claude-sonnet-4-20250514': price(3, 0.3, 15, { cacheWrite: 3.75, contextWindow: 200_000 }),
  'claude-opus-4-20250514': price(15, 1.5, 75, { cacheWrite: 18.75, contextWindow: 200_000 }),
  'claude-opus-4-1-20250805': price(15, 1.5, 75, { cacheWrite: 18.75, contextWindow: 200_000 }),
  'claude-haiku-4-5-20251001': price(1, 0.1, 5, { cacheWrite: 1.25, contextWindow: 200_000 }),
  'claude-sonnet-4-5-20250929': price(3, 0.3, 15, { cacheWrite: 3.75, contextWindow: 200_000 }),
  'claude-opus-4-5-20251101': price(5, 0.5, 25, { cacheWrite: 6.25, contextWindow: 200_000 }),
};

function price(
  inputUsd: number,
  cachedInputUsd: number,
  outputUsd: number,
  extra: { cacheWrite?: number; contextWindow?: number; reasoning?: boolean } = {},
): ModelPrice {
  return {
    inputPerMillionUsd: inputUsd,
    cachedInputPerMillionUsd: cachedInputUsd,
    outputPerMillionUsd: outputUsd,
    cacheWritePerMillionUsd: extra.cacheWrite ?? inputUsd,
    contextWindow: extra.contextWindow,
    reasoning: extra.reasoning ?? false,
  };
}
