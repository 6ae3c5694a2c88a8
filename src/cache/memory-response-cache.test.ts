import { describe, expect, it } from 'vitest';
import type { CachedResponse } from './cached-response.js';
import { MemoryResponseCache } from './memory-response-cache.js';

function answer(text: string): CachedResponse {
  return {
    model: 'gpt-4o-mini-2024-07-18',
    tier: 'cheap',
    deploymentId: 'cheap/openai/gpt-4o-mini-2024-07-18',
    text,
    payload: { label: text },
    repaired: false,
    finishReason: 'stop',
    usage: null,
    originalCostUsd: 0.0000126,
    storedAtMs: 1000,
  };
}

function fakeClock(startMs = 1_000_000) {
  const clock = { ms: startMs, now: () => clock.ms };
  return clock;
}

describe('MemoryResponseCache', () => {
  it('misses a key never stored', async () => {
    expect(await new MemoryResponseCache().get('k')).toBeUndefined();
  });

  it('gives back a copy of what was stored', async () => {
    const cache = new MemoryResponseCache();
    const value = answer('negative');
    await cache.set('k', value);
    value.text = 'changed after set';

    const read = await cache.get('k');
    expect(read).toEqual(answer('negative'));
    read!.text = 'changed after get';
    expect(await cache.get('k')).toEqual(answer('negative'));
  });

  it('keeps an entry for 10 minutes by default and drops it at exactly 10 minutes', async () => {
    const clock = fakeClock();
    const cache = new MemoryResponseCache({ now: clock.now });
    await cache.set('k', answer('a'));

    clock.ms += 600_000 - 1;
    expect(await cache.get('k')).toEqual(answer('a'));
    clock.ms += 1;
    expect(await cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('honours a TTL given to set', async () => {
    const clock = fakeClock();
    const cache = new MemoryResponseCache({ now: clock.now });
    await cache.set('k', answer('a'), 50);

    clock.ms += 49;
    expect(await cache.get('k')).toEqual(answer('a'));
    clock.ms += 1;
    expect(await cache.get('k')).toBeUndefined();
  });

  it('stores nothing, and forgets the old entry, for a TTL of 0', async () => {
    const cache = new MemoryResponseCache();
    await cache.set('k', answer('a'));
    await cache.set('k', answer('b'), 0);

    expect(await cache.get('k')).toBeUndefined();
  });

  it('evicts the least recently used entry past maxEntries, a read counting as a use', async () => {
    const cache = new MemoryResponseCache({ maxEntries: 2 });
    await cache.set('a', answer('a'));
    await cache.set('b', answer('b'));
    await cache.get('a');
    await cache.set('c', answer('c'));

    expect(cache.size).toBe(2);
    expect(await cache.get('b')).toBeUndefined();
    expect((await cache.get('a'))?.text).toBe('a');
    expect((await cache.get('c'))?.text).toBe('c');
  });

  it('refuses a maxEntries below 1', () => {
    expect(() => new MemoryResponseCache({ maxEntries: 0 })).toThrow(
      'maxEntries must be a positive integer, got 0',
    );
  });
});
