/** A calendar date and time of day in UTC, each field as written (month 1–12). */
export interface UtcParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0–60; 60 is a leap second and reads as the next minute's first. */
  second: number;
  millisecond?: number;
}

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;

/**
 * Epoch milliseconds for a UTC date and time, or undefined when a field is out
 * of range. `Date.UTC` alone would roll 31 February over into March.
 */
export function utcMs(parts: UtcParts): number | undefined {
  const { year, month, day, hour, minute, second, millisecond = 0 } = parts;
  const fields = [year, month, day, hour, minute, second, millisecond];
  if (!fields.every((field) => Number.isInteger(field) && field >= 0)) return undefined;
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (hour > 23 || minute > 59 || second > 60 || millisecond > 999) return undefined;

  const dateMs = Date.UTC(year, month - 1, day);
  if (new Date(dateMs).getUTCDate() !== day) return undefined;

  return (
    dateMs + hour * MS_PER_HOUR + minute * MS_PER_MINUTE + second * MS_PER_SECOND + millisecond
  );
}
