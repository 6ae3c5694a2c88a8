import type { Usage } from '../providers/types.js';

/** What one model costs, in USD per million tokens of each kind. */
export interface ModelPrice {
  inputPerMillionUsd: number;
  cachedInputPerMillionUsd: number;
  outputPerMillionUsd: number;
  /** Anthropic's prompt-cache write rate; equals the input rate elsewhere. */
  cacheWritePerMillionUsd: number;
  /** Prompt plus output tokens the model accepts, when known. */
  contextWindow?: number | undefined;
  /** Reasoning models take no temperature and count hidden reasoning tokens. */
  reasoning: boolean;
}

/**
 * Rates per million tokens outside this range are almost surely a unit
 * mistake: a per-token or per-thousand price typed where a per-million one
 * belongs (the original note's table was off by exactly that).
 */
export const MIN_RATE_PER_MILLION_USD = 0.000001;
export const MAX_RATE_PER_MILLION_USD = 1000;

const RATE_FIELDS = [
  'inputPerMillionUsd',
  'cachedInputPerMillionUsd',
  'outputPerMillionUsd',
  'cacheWritePerMillionUsd',
] as const;

/**
 * Why a price entry cannot be right, or undefined when it can. Zero is allowed
 * (self-hosted models are free per token); anything else must sit within the
 * plausible range for a per-million rate.
 */
export function checkPrice(price: ModelPrice): { field: string; message: string } | undefined {
  for (const field of RATE_FIELDS) {
    const rate = price[field];
    if (!Number.isFinite(rate) || rate < 0) {
      return { field, message: `must be a non-negative number, got ${rate}` };
    }
    if (rate === 0) continue;
    if (rate < MIN_RATE_PER_MILLION_USD || rate > MAX_RATE_PER_MILLION_USD) {
      return {
        field,
        message:
          `${rate} USD per million tokens is outside ${MIN_RATE_PER_MILLION_USD}` +
          `..${MAX_RATE_PER_MILLION_USD}; is it a per-token or per-1K price?`,
      };
    }
  }
  return undefined;
}

/** The cost of one attempt's usage, each kind of token at its own rate. */
export function costOfUsage(usage: Usage, price: ModelPrice): number {
  // Reasoning tokens are already inside outputTokens (OpenAI counts them in
  // completion_tokens), so they are not added again here.
  const microUsd =
    usage.inputTokens * price.inputPerMillionUsd +
    usage.cachedInputTokens * price.cachedInputPerMillionUsd +
    usage.cacheWriteTokens * price.cacheWritePerMillionUsd +
    usage.outputTokens * price.outputPerMillionUsd;
  return roundUsd(microUsd / 1_000_000);
}

/**
 * The most an attempt can cost: every estimated prompt token at the full input
 * rate and the whole `maxTokens` allowance at the output rate.
 */
export function worstCaseCostUsd(options: {
  estimatedInputTokens: number;
  maxOutputTokens: number;
  price: ModelPrice;
}): number {
  const { estimatedInputTokens, maxOutputTokens, price } = options;
  const microUsd =
    estimatedInputTokens * price.inputPerMillionUsd + maxOutputTokens * price.outputPerMillionUsd;
  return roundUsd(microUsd / 1_000_000);
}

/** Rounds to 1e-10 USD so sums of attempts do not show float noise. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}
