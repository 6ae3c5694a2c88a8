import { describe, expect, it } from 'vitest';
import type { BreakerSnapshot } from './breaker-snapshot.js';
import { MemoryBreakerStore } from './breaker-store.js';

const OPEN: BreakerSnapshot = { state: 'open', openUntilMs: 5000 };

describe('MemoryBreakerStore', () => {
  it('gives undefined for a deployment never stored', async () => {
    expect(await new MemoryBreakerStore().get('x')).toBeUndefined();
  });

  it('gives back what was put, as a copy', async () => {
    const store = new MemoryBreakerStore();
    const snapshot: BreakerSnapshot = { state: 'open', openUntilMs: 5000 };
    await store.put('a', snapshot);
    snapshot.openUntilMs = 1;

    const read = await store.get('a');
    expect(read).toEqual(OPEN);
    if (read?.state === 'open') read.openUntilMs = 2;
    expect(await store.get('a')).toEqual(OPEN);
  });

  it('applies an update and resolves to its result', async () => {
    const store = new MemoryBreakerStore();
    const result = await store.update('a', (current) => ({
      snapshot: OPEN,
      result: current === undefined ? 'was empty' : 'had one',
    }));

    expect(result).toBe('was empty');
    expect(await store.get('a')).toEqual(OPEN);
  });

  it('loses no update when several run at once', async () => {
    const store = new MemoryBreakerStore();
    const increment = () =>
      store.update('a', (current) => {
        const count = current?.state === 'closed' ? current.consecutiveFailures : 0;
        const snapshot: BreakerSnapshot = {
          state: 'closed',
          consecutiveFailures: count + 1,
          window: [],
        };
        return { snapshot, result: undefined };
      });
    await Promise.all([increment(), increment(), increment(), increment()]);

    expect(await store.get('a')).toEqual({ state: 'closed', consecutiveFailures: 4, window: [] });
  });

  it('lists every stored breaker', async () => {
    const store = new MemoryBreakerStore();
    await store.put('a', OPEN);
    await store.put('b', { state: 'half_open', probeStartedAtMs: 7 });

    expect(await store.list()).toEqual([
      { deploymentId: 'a', snapshot: OPEN },
      { deploymentId: 'b', snapshot: { state: 'half_open', probeStartedAtMs: 7 } },
    ]);
  });
});
