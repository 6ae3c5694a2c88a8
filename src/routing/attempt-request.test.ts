import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { estimateTokens } from '../cost/estimate-tokens.js';
import { REPO_ROOT, simConfigYaml } from '../test-support/gateway-harness.js';
import { priceCompletion } from './attempt-request.js';

const { config } = parseConfig(simConfigYaml('http://127.0.0.1:9'), {
  env: {},
  baseDir: REPO_ROOT,
  source: 'test',
});
const deployment = config.tiers.cheap![0]!;
const price = config.prices.models[deployment.model]!;
const usd = (tokens: { input: number; output: number }) =>
  (tokens.input * price.inputPerMillionUsd + tokens.output * price.outputPerMillionUsd) / 1e6;

describe('priceCompletion without usage from the provider', () => {
  it('estimates from the text, marked estimated', () => {
    const priced = priceCompletion(config, {
      deployment,
      completion: { text: 'positive', usage: null },
      estimatedTokens: 100,
      maxTokens: 512,
    });
    expect(priced.costEstimated).toBe(true);
    expect(priced.costUsd).toBeCloseTo(usd({ input: 100, output: estimateTokens('positive') }), 12);
  });

  it('counts no more output than max_tokens allowed, however long the text', () => {
    for (const text of ['word '.repeat(5_000), 'x'.repeat(2_000_000)]) {
      const priced = priceCompletion(config, {
        deployment,
        completion: { text, usage: null },
        estimatedTokens: 100,
        maxTokens: 512,
      });
      expect(priced.costUsd).toBeCloseTo(usd({ input: 100, output: 512 }), 12);
    }
  });
});
