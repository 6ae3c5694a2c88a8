/**
 * The nearest-rank percentile of `values` (unsorted; not modified): the
 * smallest value with at least `p` percent of the values at or below it.
 * Nearest rank always answers a value that was measured, which is what a
 * latency report should show; undefined for an empty list.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/**
 * The median: the middle value, or the mean of the two middle ones. Used to
 * summarise repeated benchmark rounds, where one noisy round must not move
 * the reported figure.
 */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle];
  return (sorted[middle - 1]! + sorted[middle]!) / 2;
}
