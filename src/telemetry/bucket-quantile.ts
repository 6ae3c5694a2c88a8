/**
 * The `q` quantile (0 < q ≤ 1) of a bucketed histogram, interpolated
 * linearly inside the bucket that holds it, as Prometheus'
 * `histogram_quantile` does, so in-process numbers agree with PromQL ones.
 * `counts` has one entry per bound plus a last one for the open top bucket;
 * a quantile there reads as the highest finite bound. Undefined when empty.
 */
export function bucketQuantile(input: {
  counts: ArrayLike<number>;
  boundaries: readonly number[];
  q: number;
}): number | undefined {
  const { counts, boundaries, q } = input;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return undefined;

  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i]!;
    if (inBucket > 0 && below + inBucket >= rank) {
      if (i >= boundaries.length) return boundaries[boundaries.length - 1];
      const lower = i === 0 ? 0 : boundaries[i - 1]!;
      return lower + ((boundaries[i]! - lower) * (rank - below)) / inBucket;
    }
    below += inBucket;
  }
  return boundaries[boundaries.length - 1];
}

/** The index of the bucket `value` falls in: the first bound it does not exceed. */
export function bucketIndex(value: number, boundaries: readonly number[]): number {
  // Few bounds (17 by default): a linear scan beats a binary search here.
  for (let i = 0; i < boundaries.length; i++) if (value <= boundaries[i]!) return i;
  return boundaries.length;
}
