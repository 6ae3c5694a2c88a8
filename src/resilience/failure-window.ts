/** Outcomes counted over one slice of the sliding window; plain JSON. */
export interface WindowBucket {
  /** Epoch ms at which the slice starts; a multiple of the slice length. */
  startMs: number;
  successes: number;
  failures: number;
}

export interface WindowShape {
  /** How far back the window reaches, in ms. */
  windowMs: number;
  /** How many slices the window is cut into; more is finer and larger. */
  buckets: number;
}

export interface WindowTotals {
  requests: number;
  failures: number;
}

/**
 * Adds one outcome to a sliding window of time buckets and drops buckets that
 * have left it. Returns a new array; the input is not changed, so a store may
 * safely run the same change twice. The window holds at most `buckets + 1`
 * entries however many requests pass, and a bucket leaves it whole: outcomes
 * count for between `windowMs - windowMs / buckets` and `windowMs`.
 */
export function recordOutcome(
  window: readonly WindowBucket[],
  options: WindowShape & { outcome: 'success' | 'failure'; nowMs: number },
): WindowBucket[] {
  const { outcome, nowMs } = options;
  const sliceMs = options.windowMs / options.buckets;
  const startMs = Math.floor(nowMs / sliceMs) * sliceMs;
  const live = liveBuckets(window, options);

  // Replicas sharing a store may record slightly out of order, so the bucket
  // for `nowMs` is looked up rather than assumed to be the last.
  const current = live.find((bucket) => bucket.startMs === startMs) ?? {
    startMs,
    successes: 0,
    failures: 0,
  };
  const updated = Object.assign({}, current, {
    successes: current.successes + (outcome === 'success' ? 1 : 0),
    failures: current.failures + (outcome === 'failure' ? 1 : 0),
  });

  const others = live.filter((bucket) => bucket.startMs !== startMs);
  return [...others, updated].sort((a, b) => a.startMs - b.startMs);
}

/** Requests and failures inside the window at `nowMs`. */
export function windowTotals(
  window: readonly WindowBucket[],
  options: WindowShape & { nowMs: number },
): WindowTotals {
  return liveBuckets(window, options).reduce(
    (totals, bucket) => ({
      requests: totals.requests + bucket.successes + bucket.failures,
      failures: totals.failures + bucket.failures,
    }),
    { requests: 0, failures: 0 },
  );
}

function liveBuckets(
  window: readonly WindowBucket[],
  options: { windowMs: number; nowMs: number },
): WindowBucket[] {
  return window.filter((bucket) => bucket.startMs > options.nowMs - options.windowMs);
}
