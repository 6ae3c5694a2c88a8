/** A calendar month in UTC; `month` is 1–12. */
export interface UtcMonth {
  year: number;
  month: number;
}

/** The UTC month an instant falls in. */
export function monthOf(timeMs: number): UtcMonth {
  const date = new Date(timeMs);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1 };
}

/** The month `count` months after (or before, if negative) `from`. */
export function addMonths(from: UtcMonth, count: number): UtcMonth {
  const index = from.year * 12 + (from.month - 1) + count;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** Milliseconds since the epoch at the first instant of the month. */
export function monthStartMs(month: UtcMonth): number {
  return Date.UTC(month.year, month.month - 1, 1);
}

/** `2025-03`: a sortable key, also the suffix of partition names (`2025_03`). */
export function monthKey(month: UtcMonth): string {
  return `${String(month.year).padStart(4, '0')}-${String(month.month).padStart(2, '0')}`;
}
