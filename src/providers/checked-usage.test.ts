import { describe, expect, it } from 'vitest';
import { normaliseAnthropicUsage } from './anthropic-client.js';
import { normaliseOpenAiUsage } from './openai-client.js';

describe('usage a provider reports', () => {
  it('is kept when every count is a plausible whole number', () => {
    expect(
      normaliseOpenAiUsage({
        prompt_tokens: 120,
        completion_tokens: 30,
        prompt_tokens_details: { cached_tokens: 100 },
      }),
    ).toEqual({
      inputTokens: 20,
      cachedInputTokens: 100,
      cacheWriteTokens: 0,
      outputTokens: 30,
      reasoningTokens: 0,
    });
  });

  it('is dropped (the cost is then estimated) when a count is negative, absurd or not whole', () => {
    expect(normaliseOpenAiUsage({ prompt_tokens: -5, completion_tokens: 3 })).toBeNull();
    expect(normaliseOpenAiUsage({ prompt_tokens: 5, completion_tokens: 1e12 })).toBeNull();
    expect(normaliseOpenAiUsage({ prompt_tokens: 5.5, completion_tokens: 3 })).toBeNull();
    expect(
      normaliseOpenAiUsage({
        prompt_tokens: 10,
        completion_tokens: 3,
        prompt_tokens_details: { cached_tokens: 50 },
      }),
    ).toBeNull();
    expect(normaliseAnthropicUsage({ input_tokens: 10, output_tokens: -1 })).toBeNull();
  });
});
