// Digits with an optional sign and fraction. `Number()` alone would read ''
// as 0 and accept '0x10', '1e3' and 'Infinity', none of which a header means.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses a plain decimal number such as `12`, `-3`, `1.5` or `.25`, ignoring
 * surrounding whitespace. Returns undefined for anything else.
 */
export function parseDecimal(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;

  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return undefined;

  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}
