import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileSchema } from '../contracts/compile-schema.js';
import type { ChatMessage } from '../providers/types.js';
import { cacheKey, requestCacheParts, type CacheKeyParts } from './cache-key.js';

const MESSAGES: ChatMessage[] = [{ role: 'user', content: 'Is this parcel broken?' }];
const BASE: CacheKeyParts = { model: 'gpt-4o-mini-2024-07-18', messages: MESSAGES, maxTokens: 64 };

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('cacheKey', () => {
  it('is the SHA-256 of the canonical JSON of the parts, with a format version', () => {
    const expected = sha256(
      '{"max_tokens":64,"messages":[{"content":"Is this parcel broken?","role":"user"}],' +
        '"model":"gpt-4o-mini-2024-07-18","v":1}',
    );
    expect(cacheKey(BASE)).toBe(expected);
  });

  it('does not depend on the order keys were written in', () => {
    const a = cacheKey({
      ...BASE,
      schema: { type: 'object', properties: { b: { type: 'string' }, a: { type: 'number' } } },
      sampling: { top_p: 0.5, stop: ['\n'] },
    });
    const b = cacheKey({
      ...BASE,
      sampling: { stop: ['\n'], top_p: 0.5 },
      schema: { properties: { a: { type: 'number' }, b: { type: 'string' } }, type: 'object' },
    });
    expect(a).toBe(b);
  });

  it('changes with every part that can change the answer', () => {
    const variants: CacheKeyParts[] = [
      BASE,
      { ...BASE, model: 'gpt-4o-2024-08-06' },
      { ...BASE, messages: [{ role: 'user', content: 'Is this parcel fine?' }] },
      { ...BASE, messages: [{ role: 'system', content: 'Is this parcel broken?' }] },
      { ...BASE, schema: { type: 'object' } },
      { ...BASE, schema: { type: 'array' } },
      { ...BASE, contractName: 'classification' },
      { ...BASE, responseFormat: { type: 'json_object' } },
      { ...BASE, tools: [{ type: 'function', function: { name: 'f' } }] },
      { ...BASE, toolChoice: 'auto' },
      { ...BASE, temperature: 0 },
      { ...BASE, temperature: 0.7 },
      { ...BASE, seed: 7 },
      { ...BASE, maxTokens: 65 },
      { ...BASE, sampling: { top_p: 0.9 } },
      { ...BASE, sampling: { stop: ['END'] } },
      { ...BASE, namespace: 'key_a' },
    ];
    const keys = new Set(variants.map(cacheKey));
    expect(keys.size).toBe(variants.length);
  });

  it('treats an empty sampling object as no sampling parameters', () => {
    expect(cacheKey({ ...BASE, sampling: {} })).toBe(cacheKey(BASE));
    expect(cacheKey({ ...BASE, sampling: { top_p: undefined } })).toBe(cacheKey(BASE));
  });
});

describe('requestCacheParts', () => {
  const contract = compileSchema('label', {
    type: 'object',
    properties: { label: { type: 'string' } },
  });

  it('takes seed and response_format out of sampling into their own parts', () => {
    const parts = requestCacheParts({
      messages: MESSAGES,
      contract,
      maxTokens: 32,
      temperature: 0,
      sampling: { seed: 3, response_format: { type: 'json_object' }, top_p: 1 },
    });
    expect(parts).toEqual({
      messages: MESSAGES,
      contractName: 'label',
      schema: contract.schema,
      responseFormat: { type: 'json_object' },
      tools: undefined,
      toolChoice: undefined,
      temperature: 0,
      seed: 3,
      maxTokens: 32,
      sampling: { top_p: 1 },
      namespace: undefined,
    });
  });

  it('gives a job with no contract and one with a contract different keys', () => {
    const job = { messages: MESSAGES, maxTokens: 32, temperature: 0, sampling: {} };
    const plain = cacheKey({ ...requestCacheParts(job), model: 'm' });
    const typed = cacheKey({ ...requestCacheParts({ ...job, contract }), model: 'm' });
    expect(plain).not.toBe(typed);
  });

  it('keeps a seed that is not a number among the sampling parameters', () => {
    const parts = requestCacheParts({ messages: MESSAGES, maxTokens: 8, sampling: { seed: 'x' } });
    expect(parts.seed).toBeUndefined();
    expect(parts.sampling).toEqual({ seed: 'x' });
  });

  it('puts the namespace it is given into the parts', () => {
    const parts = requestCacheParts({ messages: MESSAGES, maxTokens: 8 }, { namespace: 'key_1' });
    expect(parts.namespace).toBe('key_1');
  });
});
