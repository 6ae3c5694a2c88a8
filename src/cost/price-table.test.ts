import { describe, expect, it } from 'vitest';
import { normaliseAnthropicUsage } from '../providers/anthropic-client.js';
import { normaliseOpenAiUsage } from '../providers/openai-client.js';
import { DEFAULT_PRICES } from './default-prices.js';
import { checkPrice, costOfUsage, worstCaseCostUsd } from './price-table.js';

const price = (model: string) => {
  const found = DEFAULT_PRICES[model];
  if (!found) throw new Error(`no price for ${model}`);
  return found;
};

describe('price table', () => {
  it('lists the three models of the original note at their real per-million rates', () => {
    expect(price('gpt-4o-mini-2024-07-18')).toMatchObject({
      inputPerMillionUsd: 0.15,
      cachedInputPerMillionUsd: 0.075,
      outputPerMillionUsd: 0.6,
    });
    expect(price('gpt-4o-2024-08-06')).toMatchObject({
      inputPerMillionUsd: 2.5,
      cachedInputPerMillionUsd: 1.25,
      outputPerMillionUsd: 10,
    });
    expect(price('o1-2024-12-17')).toMatchObject({
      inputPerMillionUsd: 15,
      cachedInputPerMillionUsd: 7.5,
      outputPerMillionUsd: 60,
      reasoning: true,
    });
  });

  it('passes its own magnitude check for every shipped model', () => {
    for (const [model, p] of Object.entries(DEFAULT_PRICES)) {
      expect(checkPrice(p), model).toBeUndefined();
    }
  });

  it('rejects a per-token rate typed where a per-million one belongs', () => {
    const perToken = { ...price('gpt-4o-2024-08-06'), inputPerMillionUsd: 0.0000025 / 1000 };
    expect(checkPrice(perToken)?.field).toBe('inputPerMillionUsd');
    const perThousandTimesMillion = { ...price('gpt-4o-2024-08-06'), outputPerMillionUsd: 10_000 };
    expect(checkPrice(perThousandTimesMillion)?.field).toBe('outputPerMillionUsd');
  });
});

describe('cost of usage', () => {
  it('prices cached prompt tokens at the cached rate (OpenAI usage)', () => {
    // 1,000 prompt tokens of which 400 cached, 200 completion tokens on gpt-4o:
    // 600 × $2.50 + 400 × $1.25 + 200 × $10.00 per million = $0.004.
    const usage = normaliseOpenAiUsage({
      prompt_tokens: 1000,
      completion_tokens: 200,
      prompt_tokens_details: { cached_tokens: 400 },
    });
    expect(usage).toEqual({
      inputTokens: 600,
      cachedInputTokens: 400,
      cacheWriteTokens: 0,
      outputTokens: 200,
      reasoningTokens: 0,
    });
    expect(costOfUsage(usage!, price('gpt-4o-2024-08-06'))).toBe(0.004);
  });

  it('does not charge reasoning tokens twice (they are inside completion tokens)', () => {
    // o1: 500 prompt, 300 completion of which 200 reasoning:
    // 500 × $15 + 300 × $60 per million = $0.0255, not $0.0375.
    const usage = normaliseOpenAiUsage({
      prompt_tokens: 500,
      completion_tokens: 300,
      completion_tokens_details: { reasoning_tokens: 200 },
    });
    expect(usage?.reasoningTokens).toBe(200);
    expect(costOfUsage(usage!, price('o1-2024-12-17'))).toBe(0.0255);
  });

  it('prices Anthropic cache reads and writes apart from input tokens', () => {
    // claude-sonnet-4: 100 input + 2,000 cache read + 1,000 cache write + 50 output:
    // 100 × 3 + 2000 × 0.30 + 1000 × 3.75 + 50 × 15 = 5400 µ$ = $0.0054.
    const usage = normaliseAnthropicUsage({
      input_tokens: 100,
      output_tokens: 50,
      cache_read_input_tokens: 2000,
      cache_creation_input_tokens: 1000,
    });
    expect(costOfUsage(usage!, price('claude-sonnet-4-20250514'))).toBe(0.0054);
  });

  it('takes the worst case as every prompt token at full rate plus max_tokens of output', () => {
    // gpt-4o-mini, 1,000 prompt tokens, max_tokens 1,024:
    // 1000 × 0.15 + 1024 × 0.60 = 764.4 µ$.
    const worst = worstCaseCostUsd({
      estimatedInputTokens: 1000,
      maxOutputTokens: 1024,
      price: price('gpt-4o-mini-2024-07-18'),
    });
    expect(worst).toBe(0.0007644);
  });

  it('reports no usage as null rather than zero cost', () => {
    expect(normaliseOpenAiUsage(undefined)).toBeNull();
    expect(normaliseAnthropicUsage(undefined)).toBeNull();
  });
});
