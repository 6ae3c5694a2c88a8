import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../config/config-types.js';
import { parseConfig } from '../config/load-config.js';
import { cacheKey, type RequestCacheParts } from './cache-key.js';
import type { CachedResponse } from './cached-response.js';
import { candidateModels, findCachedResponse, storeKey } from './find-cached-response.js';
import { MemoryResponseCache } from './memory-response-cache.js';

const YAML = `
providers:
  openai: { kind: openai, base_url: 'http://127.0.0.1:9/v1', api_key: sk-test }
  anthropic: { kind: anthropic, base_url: 'http://127.0.0.1:9', api_key: sk-ant-test }
  local: { kind: openai, base_url: 'http://127.0.0.1:9/v1', api_key: none }
tiers:
  cheap:
    - { provider: openai, model: gpt-4o-mini-2024-07-18 }
    - { provider: anthropic, model: claude-3-5-haiku-20241022 }
  mid: [{ provider: openai, model: gpt-4o-2024-08-06 }]
  heavy:
    - { provider: openai, model: o1-2024-12-17 }
    - { provider: openai, model: gpt-4o-2024-08-06 }
  local: [{ provider: local, model: llama-3.1-8b, cost_per_request_usd: 0.0001 }]
tier_order: [cheap, mid, heavy]
fallback_tier: local
prices:
  models:
    llama-3.1-8b:
      input_per_million_usd: 0.01
      cached_input_per_million_usd: 0.01
      output_per_million_usd: 0.01
`;

function config(): GatewayConfig {
  return parseConfig(YAML, { env: {}, baseDir: '/', source: 'test' }).config;
}

const PARTS: RequestCacheParts = {
  messages: [{ role: 'user', content: 'hello' }],
  maxTokens: 16,
};

function answer(model: string): CachedResponse {
  return {
    model,
    tier: 'mid',
    deploymentId: `mid/openai/${model}`,
    text: `from ${model}`,
    repaired: false,
    finishReason: 'stop',
    usage: null,
    originalCostUsd: 0.001,
    storedAtMs: 0,
  };
}

describe('candidateModels', () => {
  it('lists each model once, from the start tier up, then the fallback tier', () => {
    expect(candidateModels({ config: config(), plan: { startTier: 'cheap' } })).toEqual([
      'gpt-4o-mini-2024-07-18',
      'claude-3-5-haiku-20241022',
      'gpt-4o-2024-08-06',
      'o1-2024-12-17',
      'llama-3.1-8b',
    ]);
  });

  it('starts at the plan tier, never lighter', () => {
    expect(candidateModels({ config: config(), plan: { startTier: 'heavy' } })).toEqual([
      'o1-2024-12-17',
      'gpt-4o-2024-08-06',
      'llama-3.1-8b',
    ]);
  });

  it('gives only the pinned model, without the fallback tier', () => {
    const plan = { startTier: 'heavy', pinnedModel: 'o1-2024-12-17' };
    expect(candidateModels({ config: config(), plan })).toEqual(['o1-2024-12-17']);
  });

  it('leaves out the tiers a key may not use', () => {
    const models = candidateModels({
      config: config(),
      plan: { startTier: 'cheap' },
      allowedTiers: ['cheap', 'local'],
    });
    expect(models).toEqual(['gpt-4o-mini-2024-07-18', 'claude-3-5-haiku-20241022', 'llama-3.1-8b']);
  });
});

describe('findCachedResponse', () => {
  it('returns the first candidate that hits, in candidate order', async () => {
    const cache = new MemoryResponseCache();
    await cache.set(storeKey({ parts: PARTS, servedModel: 'o1-2024-12-17' }), answer('o1'));
    await cache.set(storeKey({ parts: PARTS, servedModel: 'gpt-4o-2024-08-06' }), answer('4o'));

    const hit = await findCachedResponse({
      cache,
      models: ['gpt-4o-mini-2024-07-18', 'gpt-4o-2024-08-06', 'o1-2024-12-17'],
      parts: PARTS,
    });
    expect(hit).toEqual({
      key: cacheKey({ ...PARTS, model: 'gpt-4o-2024-08-06' }),
      model: 'gpt-4o-2024-08-06',
      response: answer('4o'),
    });
  });

  it('misses when no candidate model has the answer', async () => {
    const cache = new MemoryResponseCache();
    await cache.set(storeKey({ parts: PARTS, servedModel: 'o1-2024-12-17' }), answer('o1'));

    const hit = await findCachedResponse({ cache, models: ['gpt-4o-2024-08-06'], parts: PARTS });
    expect(hit).toBeUndefined();
  });

  it('misses for a request that differs in any part', async () => {
    const cache = new MemoryResponseCache();
    await cache.set(storeKey({ parts: PARTS, servedModel: 'm' }), answer('m'));

    const other = { ...PARTS, maxTokens: 17 };
    expect(await findCachedResponse({ cache, models: ['m'], parts: other })).toBeUndefined();
  });
});
