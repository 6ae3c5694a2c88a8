/** The UTC day or month a spend counts against. */
export interface BudgetWindow {
  kind: 'day' | 'month';
  /** `day:2025-01-31` or `month:2025-01`; part of the store's key. */
  id: string;
  /** Epoch ms at which the window ends and a new one begins. */
  endsAtMs: number;
}

/**
 * The day and month windows in force at `nowMs`, both in UTC, so that every
 * replica, whatever its time zone, counts a request in the same windows.
 */
export function budgetWindowsAt(nowMs: number): { day: BudgetWindow; month: BudgetWindow } {
  const now = new Date(nowMs);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const date = now.getUTCDate();
  const monthText = `${year}-${String(month + 1).padStart(2, '0')}`;
  return {
    day: {
      kind: 'day',
      id: `day:${monthText}-${String(date).padStart(2, '0')}`,
      endsAtMs: Date.UTC(year, month, date + 1),
    },
    month: { kind: 'month', id: `month:${monthText}`, endsAtMs: Date.UTC(year, month + 1, 1) },
  };
}
