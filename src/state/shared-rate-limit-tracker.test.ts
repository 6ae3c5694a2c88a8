import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '../logging/logger.js';
import {
  MemorySharedRateLimitStore,
  type SharedRateLimitStore,
} from './shared-rate-limit-store.js';
import { SharedRateLimitTracker } from './shared-rate-limit-tracker.js';

const T0 = 5_000_000;

function tracker(store: SharedRateLimitStore) {
  return new SharedRateLimitTracker({ store, logger: silentLogger(), now: () => T0 });
}

const failingStore: SharedRateLimitStore = {
  observe: () => Promise.reject(new Error('redis down')),
  coolDown: () => Promise.reject(new Error('redis down')),
  exportState: () => Promise.reject(new Error('redis down')),
};

describe('SharedRateLimitTracker', () => {
  it('writes what it observes through to the store', async () => {
    const store = new MemorySharedRateLimitStore();
    const local = tracker(store);
    local.observe('d', { remainingRequests: 0, requestsResetAtMs: T0 + 1000 });
    local.coolDown('d', T0 + 500);
    await local.flush();

    expect(await store.exportState()).toEqual({
      deployments: {
        d: {
          snapshot: { remainingRequests: 0, requestsResetAtMs: T0 + 1000 },
          coolDownUntilMs: T0 + 500,
        },
      },
    });
  });

  it('takes in what another replica observed on refresh', async () => {
    const store = new MemorySharedRateLimitStore();
    const [a, b] = [tracker(store), tracker(store)];
    a.observe('d', { remainingTokens: 10, tokensResetAtMs: T0 + 2000 });
    await a.flush();
    await b.refresh();

    expect(b.canAdmit('d', { estimatedTokens: 50, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'tokens_insufficient',
      untilMs: T0 + 2000,
    });
  });

  it('never lets a refresh shorten a cool-down this replica set', async () => {
    const store = new MemorySharedRateLimitStore();
    await store.coolDown({ deploymentId: 'd', untilMs: T0 + 100 });
    const local = tracker(failingWrites(store));
    local.coolDown('d', T0 + 9000);
    await local.refresh();

    expect(local.canAdmit('d', { estimatedTokens: 1, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'cool_down',
      untilMs: T0 + 9000,
    });
  });

  it('carries on with local state when the store fails', async () => {
    const local = tracker(failingStore);
    local.coolDown('d', T0 + 300);
    await local.refresh();

    expect(local.canAdmit('d', { estimatedTokens: 1, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'cool_down',
      untilMs: T0 + 300,
    });
  });
});

describe('SharedRateLimitTracker while its store is down', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs one line per outage of the store, not one per write, and one when it is back', async () => {
    const messages: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        messages.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
        done();
      },
    });
    const memory = new MemorySharedRateLimitStore();
    let down = true;
    const store: SharedRateLimitStore = {
      observe: (input) => (down ? failingStore.observe(input) : memory.observe(input)),
      coolDown: (input) => (down ? failingStore.coolDown(input) : memory.coolDown(input)),
      exportState: () => (down ? failingStore.exportState() : memory.exportState()),
    };
    const local = new SharedRateLimitTracker({
      store,
      logger: createLogger({ level: 'info', destination }),
      now: () => T0,
    });

    for (let i = 0; i < 20; i++) local.observe('d', { remainingRequests: 100 - i });
    await local.refresh();
    down = false;
    local.coolDown('d', T0 + 500);
    await local.flush();

    expect(messages).toEqual([
      "shared rate-limit state could not be written; carrying on with this replica's figures",
      'shared rate-limit state is reachable again',
    ]);
    expect((await memory.exportState()).deployments['d']?.coolDownUntilMs).toBe(T0 + 500);
  });

  it('starts no refresh while the previous one still waits on the store', async () => {
    vi.useFakeTimers();
    let reads = 0;
    let answer: (state: { deployments: {} }) => void = () => {};
    const slow: SharedRateLimitStore = {
      observe: async () => {},
      coolDown: async (input) => input.untilMs,
      exportState: () => {
        reads++;
        return new Promise((resolve) => (answer = resolve));
      },
    };
    const stop = tracker(slow).startRefreshing({ intervalMs: 1000 });

    await vi.advanceTimersByTimeAsync(3500);
    expect(reads).toBe(1);
    answer({ deployments: {} });
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toBe(2);
    stop();
  });
});

/** The store's reads, with writes that fail: the shared view lags behind. */
function failingWrites(store: SharedRateLimitStore): SharedRateLimitStore {
  return { ...failingStore, exportState: () => store.exportState() };
}
