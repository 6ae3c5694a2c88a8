/** One window (a UTC day or month of one key) a reservation counts against. */
export interface BudgetWindowRef {
  /** `day:2025-01-31`, `month:2025-01`. */
  id: string;
  /** The most the window may spend; null for no limit (spend is still counted). */
  limitUsd: number | null;
  /** Epoch ms after which the window's figures may be forgotten. */
  retainUntilMs: number;
}

export interface ReserveInput {
  keyId: string;
  /** Unique per request; `settle` names it again. */
  reservationId: string;
  /** The worst the request can cost. */
  amountUsd: number;
  windows: BudgetWindowRef[];
  /** Epoch ms at which an unsettled reservation stops counting. */
  expiresAtMs: number;
  nowMs: number;
}

export type ReserveOutcome =
  | { ok: true }
  | {
      ok: false;
      /** The first window, in the order given, that the amount would take past its limit. */
      windowId: string;
      limitUsd: number;
      spentUsd: number;
      /** Held by other requests still in flight. */
      reservedUsd: number;
    };

export interface SettleInput {
  keyId: string;
  reservationId: string;
  /** What the request really cost; added to every window's spend. */
  costUsd: number;
  /** The windows the reservation was made in (not those of the settle time). */
  windows: Pick<BudgetWindowRef, 'id' | 'retainUntilMs'>[];
  nowMs: number;
}

export interface WindowUsage {
  windowId: string;
  spentUsd: number;
  reservedUsd: number;
}

/**
 * Spend and reservations per key and window, shared by every replica that
 * uses the same store. `reserve` checks and holds in one atomic step, for
 * all windows together: spent + reserved + amount must stay within each
 * limit, or nothing is held. Amounts are kept in whole nano-USD (1e-9), so
 * sums have no float drift and match between stores.
 */
export interface BudgetStore {
  reserve(input: ReserveInput): Promise<ReserveOutcome>;
  /**
   * Replaces the reservation by the real cost. A reservation that expired or
   * was never made is not an error: the cost is counted all the same, since
   * it was incurred.
   */
  settle(input: SettleInput): Promise<void>;
  usage(input: { keyId: string; windowIds: string[]; nowMs: number }): Promise<WindowUsage[]>;
}

const NANO_PER_USD = 1e9;

/** USD to whole nano-USD, the unit budget stores count in. */
export function toNanoUsd(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`not an amount of USD: ${usd}`);
  return Math.round(usd * NANO_PER_USD);
}

export function fromNanoUsd(nano: number): number {
  return nano / NANO_PER_USD;
}
