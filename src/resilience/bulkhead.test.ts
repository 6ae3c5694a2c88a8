import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Bulkhead, type Release } from './bulkhead.js';

/** Records the order in which acquisitions settle, and with what. */
function watch(label: string, log: string[], acquisition: Promise<Release | undefined>) {
  return acquisition.then(
    (release) => {
      log.push(`${label}:${release ? 'slot' : 'none'}`);
      return release;
    },
    (error: unknown) => {
      log.push(`${label}:rejected`);
      throw error;
    },
  );
}

/** Lets pending promise callbacks run; no time passes. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

describe('Bulkhead', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits up to maxConcurrent at once without waiting', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 2 });
    const first = await bulkhead.acquire();
    const second = await bulkhead.acquire();

    expect([typeof first, typeof second]).toEqual(['function', 'function']);
    expect(bulkhead.inFlight).toBe(2);
  });

  it('turns a caller away at once when the queue is full', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueued: 1 });
    await bulkhead.acquire();
    void bulkhead.acquire();

    expect(await bulkhead.acquire()).toBeUndefined();
    expect([bulkhead.inFlight, bulkhead.queued]).toEqual([1, 1]);
  });

  it('turns a caller away at once when there is no queue', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1 });
    await bulkhead.acquire();

    expect(await bulkhead.acquire()).toBeUndefined();
  });

  it('hands released slots to waiters first in, first out', async () => {
    const log: string[] = [];
    const releases = new Map<string, Release | undefined>();
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueued: 3 });
    const release = await bulkhead.acquire();
    for (const label of ['a', 'b', 'c']) {
      void watch(label, log, bulkhead.acquire()).then((slot) => releases.set(label, slot));
    }

    release?.();
    await settle();
    expect(log).toEqual(['a:slot']);
    releases.get('a')?.();
    await settle();
    expect(log).toEqual(['a:slot', 'b:slot']);
    releases.get('b')?.();
    await settle();

    expect(log).toEqual(['a:slot', 'b:slot', 'c:slot']);
    expect([bulkhead.inFlight, bulkhead.queued]).toEqual([1, 0]);
  });

  it('does not let a newcomer take a slot ahead of a waiter', async () => {
    const log: string[] = [];
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueued: 2 });
    const release = await bulkhead.acquire();
    const waiter = watch('waiter', log, bulkhead.acquire());

    release?.();
    const newcomer = watch('newcomer', log, bulkhead.acquire({ maxWaitMs: 100 }));
    (await waiter)?.();
    await newcomer;

    expect(log).toEqual(['waiter:slot', 'newcomer:slot']);
  });

  it('gives undefined when the wait runs out, and not before', async () => {
    const log: string[] = [];
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueued: 1 });
    await bulkhead.acquire();
    const waiter = watch('waiter', log, bulkhead.acquire({ maxWaitMs: 1000 }));

    await vi.advanceTimersByTimeAsync(999);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);

    expect(await waiter).toBeUndefined();
    expect(log).toEqual(['waiter:none']);
    expect([bulkhead.inFlight, bulkhead.queued]).toEqual([1, 0]);
  });

  it('clears its wait timer once a waiter gets a slot', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueued: 1 });
    const release = await bulkhead.acquire();
    const waiter = bulkhead.acquire({ maxWaitMs: 60_000 });
    expect(vi.getTimerCount()).toBe(1);

    release?.();
    await waiter;

    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects a waiter with the reason its signal aborts with and frees its place', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueued: 1 });
    const release = await bulkhead.acquire();
    const controller = new AbortController();
    const waiter = bulkhead.acquire({ signal: controller.signal, maxWaitMs: 5000 });

    controller.abort(new Error('client went away'));

    await expect(waiter).rejects.toThrow('client went away');
    expect([bulkhead.queued, vi.getTimerCount()]).toEqual([0, 0]);
    release?.();
    expect(bulkhead.inFlight).toBe(0);
  });

  it('rejects at once for a signal already aborted, taking no slot', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1 });

    await expect(
      bulkhead.acquire({ signal: AbortSignal.abort(new Error('gone')) }),
    ).rejects.toThrow('gone');
    expect(bulkhead.inFlight).toBe(0);
  });

  it('frees a slot only once however often release is called', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 2 });
    const first = await bulkhead.acquire();
    await bulkhead.acquire();

    first?.();
    first?.();

    expect(bulkhead.inFlight).toBe(1);
  });
});
