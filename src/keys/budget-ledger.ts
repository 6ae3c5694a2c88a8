import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.js';
import type { BudgetStore, BudgetWindowRef } from '../state/budget-store.js';
import type { ApiKeyRecord } from './api-key-record.js';
import { budgetWindowsAt, type BudgetWindow } from './budget-windows.js';

/** The part of a key the ledger needs. */
export type BudgetedKey = Pick<ApiKeyRecord, 'id' | 'dailyBudgetUsd' | 'monthlyBudgetUsd'>;

/** What `reserve` holds for one request; hand it back to `settle` once. */
export interface Reservation {
  id: string;
  keyId: string;
  amountUsd: number;
  /** The windows it counts against: those of the moment it was made. */
  windows: BudgetWindowRef[];
  /** Epoch ms at which it stops counting if never settled. */
  expiresAtMs: number;
}

export interface BudgetUsage {
  day: WindowFigures;
  month: WindowFigures;
}

export interface WindowFigures {
  windowId: string;
  limitUsd: number | null;
  spentUsd: number;
  reservedUsd: number;
  /** RFC 3339 time at which the window resets. */
  resetsAt: string;
}

export interface BudgetLedgerOptions {
  store: BudgetStore;
  /** Epoch ms now. */
  now?: () => number;
  newId?: () => string;
  /**
   * How long an unsettled reservation holds its amount: longer than any
   * request can run (the deadline), so only a crashed replica's lapse.
   * Default 5 minutes.
   */
  reservationTtlMs?: number;
}

// Window figures are kept a day past the window's end, for late settles and
// for reports of the day before.
const RETAIN_AFTER_END_MS = 24 * 60 * 60_000;

/**
 * Per-key USD budgets over UTC days and months, with reservations: before
 * the upstream call a request holds its worst case in both windows; after
 * it, `settle` replaces the hold by the real cost. A burst therefore cannot
 * overspend: each request is checked against what is spent plus what the
 * requests still in flight may spend.
 *
 * The worst case is an estimate (our token count of the prompt), so a
 * request whose real cost passes its reservation can take a window a little
 * past its limit; the next request is then refused.
 */
export class BudgetLedger {
  readonly #store: BudgetStore;
  readonly #now: () => number;
  readonly #newId: () => string;
  readonly #reservationTtlMs: number;
  readonly #settled = new WeakSet<Reservation>();

  constructor(options: BudgetLedgerOptions) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomUUID;
    this.#reservationTtlMs = options.reservationTtlMs ?? 5 * 60_000;
  }

  /** Holds `amountUsd` for a request of `key`; 402 `budget_exceeded` when it does not fit. */
  async reserve(options: { key: BudgetedKey; amountUsd: number }): Promise<Reservation> {
    const { key, amountUsd } = options;
    const nowMs = this.#now();
    const { day, month } = budgetWindowsAt(nowMs);
    const windows = [windowRef(day, key.dailyBudgetUsd), windowRef(month, key.monthlyBudgetUsd)];
    const reservation: Reservation = {
      id: this.#newId(),
      keyId: key.id,
      amountUsd,
      windows,
      expiresAtMs: nowMs + this.#reservationTtlMs,
    };
    const outcome = await this.#store.reserve({
      keyId: key.id,
      reservationId: reservation.id,
      amountUsd,
      windows,
      expiresAtMs: reservation.expiresAtMs,
      nowMs,
    });
    if (outcome.ok) return reservation;

    const window = outcome.windowId === day.id ? day : month;
    throw budgetExceeded({ window, amountUsd, ...outcome });
  }

  /**
   * Counts what the request really cost (0 when it failed before any
   * attempt) and releases the rest of its hold. A second settle of the same
   * reservation does nothing.
   */
  async settle(reservation: Reservation, options: { costUsd: number }): Promise<void> {
    if (this.#settled.has(reservation)) return;
    this.#settled.add(reservation);

    await this.#store.settle({
      keyId: reservation.keyId,
      reservationId: reservation.id,
      costUsd: options.costUsd,
      windows: reservation.windows,
      nowMs: this.#now(),
    });
  }

  /** Spend and holds of the key's current day and month. */
  async usage(key: BudgetedKey): Promise<BudgetUsage> {
    const nowMs = this.#now();
    const { day, month } = budgetWindowsAt(nowMs);
    const [dayUsage, monthUsage] = await this.#store.usage({
      keyId: key.id,
      windowIds: [day.id, month.id],
      nowMs,
    });
    return {
      day: figures(day, key.dailyBudgetUsd, dayUsage!),
      month: figures(month, key.monthlyBudgetUsd, monthUsage!),
    };
  }
}

function windowRef(window: BudgetWindow, limitUsd: number | null): BudgetWindowRef {
  return { id: window.id, limitUsd, retainUntilMs: window.endsAtMs + RETAIN_AFTER_END_MS };
}

function figures(
  window: BudgetWindow,
  limitUsd: number | null,
  usage: { spentUsd: number; reservedUsd: number },
): WindowFigures {
  return {
    windowId: window.id,
    limitUsd,
    spentUsd: usage.spentUsd,
    reservedUsd: usage.reservedUsd,
    resetsAt: new Date(window.endsAtMs).toISOString(),
  };
}

function budgetExceeded(options: {
  window: BudgetWindow;
  amountUsd: number;
  limitUsd: number;
  spentUsd: number;
  reservedUsd: number;
}): GatewayError {
  const { window, amountUsd, limitUsd, spentUsd, reservedUsd } = options;
  const name = window.kind === 'day' ? 'daily' : 'monthly';
  return new GatewayError(
    'budget_exceeded',
    `authorization: the API key's ${name} budget of $${limitUsd} would be exceeded: ` +
      `$${spentUsd} spent, ` +
      `$${reservedUsd} held by requests in flight, and this request may cost up to $${amountUsd}`,
    {
      details: {
        field: 'authorization',
        window: window.kind,
        limit_usd: limitUsd,
        spent_usd: spentUsd,
        reserved_usd: reservedUsd,
        requested_usd: amountUsd,
        resets_at: new Date(window.endsAtMs).toISOString(),
      },
    },
  );
}
