import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import type { BudgetStore } from '../state/budget-store.js';
import { MemoryBudgetStore } from '../state/memory-budget-store.js';
import { RedisBudgetStore } from '../state/redis-budget-store.js';
import { openTestRedis, type TestRedis } from '../state/test-redis.js';
import { BudgetLedger, type BudgetedKey } from './budget-ledger.js';

const NOON = Date.UTC(2025, 0, 31, 12);
const WORST_CASE_USD = 0.031;
const TTL_MS = 60_000;

let redis: TestRedis;
let keySerial = 0;

beforeAll(async () => {
  redis = await openTestRedis({ clients: 1 });
});

afterAll(async () => {
  await redis.cleanup();
});

function key(overrides: Partial<BudgetedKey> = {}): BudgetedKey {
  return { id: `key_${++keySerial}`, dailyBudgetUsd: null, monthlyBudgetUsd: null, ...overrides };
}

function setup(store: BudgetStore) {
  const clock = { ms: NOON };
  let id = 0;
  const ledger = new BudgetLedger({
    store,
    now: () => clock.ms,
    newId: () => `res_${++id}`,
    reservationTtlMs: TTL_MS,
  });
  return { clock, ledger };
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

const STORES: [string, () => BudgetStore][] = [
  ['MemoryBudgetStore', () => new MemoryBudgetStore()],
  [
    'RedisBudgetStore',
    () => new RedisBudgetStore({ redis: redis.clients[0]!, keyPrefix: redis.prefix }),
  ],
];

describe.each(STORES)('BudgetLedger on %s', (_name, makeStore) => {
  it('admits exactly one of 20 concurrent requests when the budget fits one worst case', async () => {
    const { ledger } = setup(makeStore());
    const budgeted = key({ dailyBudgetUsd: WORST_CASE_USD });

    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        ledger.reserve({ key: budgeted, amountUsd: WORST_CASE_USD }),
      ),
    );
    const admitted = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const refused = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [outcome.reason] : [],
    );

    expect(admitted).toHaveLength(1);
    expect(refused).toHaveLength(19);
    expect(refused.every((error) => error instanceof GatewayError && error.status === 402)).toBe(
      true,
    );
    expect(refused.every((error) => (error as GatewayError).type === 'budget_exceeded')).toBe(true);
  });

  it('releases what a request did not spend when it settles', async () => {
    const { ledger } = setup(makeStore());
    const budgeted = key({ dailyBudgetUsd: 0.05 });
    const first = await ledger.reserve({ key: budgeted, amountUsd: 0.03 });
    await ledger.settle(first, { costUsd: 0.01 });

    await expect(ledger.reserve({ key: budgeted, amountUsd: 0.041 })).rejects.toThrow(GatewayError);
    const fits = await ledger.reserve({ key: budgeted, amountUsd: 0.04 });
    expect(fits.amountUsd).toBe(0.04);
  });

  it('reports spend and holds of the current day and month', async () => {
    const { ledger } = setup(makeStore());
    const budgeted = key({ dailyBudgetUsd: 1, monthlyBudgetUsd: 20 });
    const done = await ledger.reserve({ key: budgeted, amountUsd: 0.02 });
    await ledger.settle(done, { costUsd: 0.0000126 });
    await ledger.reserve({ key: budgeted, amountUsd: 0.005 });

    expect(await ledger.usage(budgeted)).toEqual({
      day: {
        windowId: 'day:2025-01-31',
        limitUsd: 1,
        spentUsd: 0.0000126,
        reservedUsd: 0.005,
        resetsAt: '2025-02-01T00:00:00.000Z',
      },
      month: {
        windowId: 'month:2025-01',
        limitUsd: 20,
        spentUsd: 0.0000126,
        reservedUsd: 0.005,
        resetsAt: '2025-02-01T00:00:00.000Z',
      },
    });
  });

  it('lets an unsettled reservation lapse after its TTL, not before', async () => {
    const { ledger, clock } = setup(makeStore());
    const budgeted = key({ dailyBudgetUsd: WORST_CASE_USD });
    await ledger.reserve({ key: budgeted, amountUsd: WORST_CASE_USD });

    clock.ms += TTL_MS - 1;
    await expect(ledger.reserve({ key: budgeted, amountUsd: WORST_CASE_USD })).rejects.toThrow(
      GatewayError,
    );
    clock.ms += 1;
    const after = await ledger.reserve({ key: budgeted, amountUsd: WORST_CASE_USD });
    expect(after.expiresAtMs).toBe(NOON + 2 * TTL_MS);
  });

  it('refuses on the monthly budget when the day still has room, saying which and why', async () => {
    const { ledger } = setup(makeStore());
    const budgeted = key({ dailyBudgetUsd: 10, monthlyBudgetUsd: 0.05 });
    const spent = await ledger.reserve({ key: budgeted, amountUsd: 0.04 });
    await ledger.settle(spent, { costUsd: 0.04 });

    const error = await refusal(ledger.reserve({ key: budgeted, amountUsd: 0.02 }));
    expect(error.message).toBe(
      "authorization: the API key's monthly budget of $0.05 would be exceeded: $0.04 spent, " +
        '$0 held by requests in flight, and this request may cost up to $0.02',
    );
    expect(error.details).toEqual({
      field: 'authorization',
      window: 'month',
      limit_usd: 0.05,
      spent_usd: 0.04,
      reserved_usd: 0,
      requested_usd: 0.02,
      resets_at: '2025-02-01T00:00:00.000Z',
    });
  });

  it('counts a reservation settled after midnight in the day it was made', async () => {
    const { ledger, clock } = setup(makeStore());
    const budgeted = key({ dailyBudgetUsd: 1 });
    clock.ms = Date.UTC(2025, 0, 31, 23, 59, 59);
    const late = await ledger.reserve({ key: budgeted, amountUsd: 0.5 });

    clock.ms = Date.UTC(2025, 1, 1, 0, 0, 5);
    await ledger.settle(late, { costUsd: 0.4 });
    const usage = await ledger.usage(budgeted);
    expect([usage.day.windowId, usage.day.spentUsd, usage.month.spentUsd]).toEqual([
      'day:2025-02-01',
      0,
      0,
    ]);
  });

  it('starts each UTC day afresh', async () => {
    const { ledger, clock } = setup(makeStore());
    const budgeted = key({ dailyBudgetUsd: 0.01 });
    await ledger.settle(await ledger.reserve({ key: budgeted, amountUsd: 0.01 }), {
      costUsd: 0.01,
    });
    await expect(ledger.reserve({ key: budgeted, amountUsd: 0.01 })).rejects.toThrow(GatewayError);

    clock.ms = Date.UTC(2025, 1, 1);
    const nextDay = await ledger.reserve({ key: budgeted, amountUsd: 0.01 });
    expect(nextDay.windows.map((window) => window.id)).toEqual(['day:2025-02-01', 'month:2025-02']);
  });

  it('counts a reservation settled twice once', async () => {
    const { ledger } = setup(makeStore());
    const budgeted = key();
    const reservation = await ledger.reserve({ key: budgeted, amountUsd: 0.02 });
    await ledger.settle(reservation, { costUsd: 0.01 });
    await ledger.settle(reservation, { costUsd: 0.01 });

    expect((await ledger.usage(budgeted)).day.spentUsd).toBe(0.01);
  });

  it('admits any amount to a key without budgets, and still counts its spend', async () => {
    const { ledger } = setup(makeStore());
    const budgeted = key();
    const big = await ledger.reserve({ key: budgeted, amountUsd: 1000 });
    await ledger.settle(big, { costUsd: 999.5 });

    expect((await ledger.usage(budgeted)).month).toMatchObject({
      spentUsd: 999.5,
      reservedUsd: 0,
      limitUsd: null,
    });
  });

  it('refuses every paid request of a key whose budget is 0', async () => {
    const { ledger } = setup(makeStore());
    const error = await refusal(
      ledger.reserve({ key: key({ dailyBudgetUsd: 0 }), amountUsd: 0.000001 }),
    );
    expect(error.details['window']).toBe('day');
  });
});
