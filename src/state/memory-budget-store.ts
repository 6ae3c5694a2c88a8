import {
  fromNanoUsd,
  toNanoUsd,
  type BudgetStore,
  type ReserveInput,
  type ReserveOutcome,
  type SettleInput,
  type WindowUsage,
} from './budget-store.js';

interface WindowState {
  spentNano: number;
  reservations: Map<string, { amountNano: number; expiresAtMs: number }>;
  retainUntilMs: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * A `BudgetStore` for one process. Check and reserve run with no await in
 * between, so concurrent requests of this process cannot both pass on the
 * same figures; replicas need `RedisBudgetStore`. Windows past their
 * retention are dropped at most once a minute, on a reservation.
 */
export class MemoryBudgetStore implements BudgetStore {
  readonly #windows = new Map<string, WindowState>();
  #nextSweepMs = 0;

  async reserve(input: ReserveInput): Promise<ReserveOutcome> {
    this.#sweep(input.nowMs);
    const amountNano = toNanoUsd(input.amountUsd);
    const states = input.windows.map((window) => this.#state(input.keyId, window));

    for (const [index, window] of input.windows.entries()) {
      const state = states[index]!;
      const reservedNano = liveReservedNano(state, input.nowMs);
      if (window.limitUsd === null) continue;
      if (state.spentNano + reservedNano + amountNano <= toNanoUsd(window.limitUsd)) continue;
      return {
        ok: false,
        windowId: window.id,
        limitUsd: window.limitUsd,
        spentUsd: fromNanoUsd(state.spentNano),
        reservedUsd: fromNanoUsd(reservedNano),
      };
    }
    for (const state of states) {
      state.reservations.set(input.reservationId, { amountNano, expiresAtMs: input.expiresAtMs });
    }
    return { ok: true };
  }

  async settle(input: SettleInput): Promise<void> {
    const costNano = toNanoUsd(input.costUsd);
    for (const window of input.windows) {
      const state = this.#state(input.keyId, window);
      state.reservations.delete(input.reservationId);
      state.spentNano += costNano;
    }
  }

  async usage(input: {
    keyId: string;
    windowIds: string[];
    nowMs: number;
  }): Promise<WindowUsage[]> {
    return input.windowIds.map((windowId) => {
      const state = this.#windows.get(stateKey(input.keyId, windowId));
      return {
        windowId,
        spentUsd: fromNanoUsd(state?.spentNano ?? 0),
        reservedUsd: fromNanoUsd(state ? liveReservedNano(state, input.nowMs) : 0),
      };
    });
  }

  #state(keyId: string, window: { id: string; retainUntilMs: number }): WindowState {
    const key = stateKey(keyId, window.id);
    let state = this.#windows.get(key);
    if (!state) {
      state = { spentNano: 0, reservations: new Map(), retainUntilMs: window.retainUntilMs };
      this.#windows.set(key, state);
    }
    state.retainUntilMs = Math.max(state.retainUntilMs, window.retainUntilMs);
    return state;
  }

  #sweep(nowMs: number): void {
    if (nowMs < this.#nextSweepMs) return;
    this.#nextSweepMs = nowMs + SWEEP_INTERVAL_MS;
    for (const [key, state] of this.#windows) {
      if (state.retainUntilMs <= nowMs) this.#windows.delete(key);
    }
  }
}

/** What unexpired reservations hold; expired ones are dropped on the way. */
function liveReservedNano(state: WindowState, nowMs: number): number {
  let total = 0;
  for (const [id, reservation] of state.reservations) {
    if (reservation.expiresAtMs <= nowMs) state.reservations.delete(id);
    else total += reservation.amountNano;
  }
  return total;
}

function stateKey(keyId: string, windowId: string): string {
  return `${keyId}\n${windowId}`;
}
