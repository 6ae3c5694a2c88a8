import { bucketIndex, bucketQuantile } from '../telemetry/bucket-quantile.js';
import { LATENCY_BUCKETS_MS } from '../telemetry/metric-names.js';
import { TimeSlices } from './time-slices.js';

export interface LatencyWindowOptions {
  /** How far back the window reaches; default 5 minutes. */
  windowMs?: number;
  /** Time slices in the ring; default 30 (10 s each over 5 minutes). */
  slices?: number;
  /** Upper bounds of the latency buckets; default the metrics' buckets. */
  boundariesMs?: readonly number[];
}

/**
 * Latencies of the last few minutes as a histogram per time slice, so a
 * quantile comes from adding bucket counts rather than sorting samples:
 * memory and the cost of a read are fixed whatever the traffic. Quantiles
 * are interpolated within a bucket the way Prometheus'
 * `histogram_quantile` does, so the policy and the alert rules agree.
 */
export class LatencyWindow {
  readonly #boundariesMs: readonly number[];
  readonly #slices: TimeSlices<Uint32Array>;

  constructor(options: LatencyWindowOptions = {}) {
    this.#boundariesMs = options.boundariesMs ?? LATENCY_BUCKETS_MS;
    const buckets = this.#boundariesMs.length + 1; // the last one is +Inf
    this.#slices = new TimeSlices({
      windowMs: options.windowMs ?? 5 * 60_000,
      slices: options.slices ?? 30,
      fresh: () => new Uint32Array(buckets),
    });
  }

  record(latencyMs: number, nowMs: number): void {
    const counts = this.#slices.slot(nowMs);
    counts[bucketIndex(latencyMs, this.#boundariesMs)]! += 1;
  }

  /** Samples in the window at `nowMs`. */
  count(nowMs: number): number {
    let total = 0;
    for (const counts of this.#slices.live(nowMs)) for (const n of counts) total += n;
    return total;
  }

  /**
   * The `q` quantile (0 < q ≤ 1) of the window at `nowMs`, or undefined with no
   * samples; see `bucketQuantile`.
   */
  quantile(q: number, nowMs: number): number | undefined {
    return bucketQuantile({ counts: this.#totals(nowMs), boundaries: this.#boundariesMs, q });
  }

  clear(): void {
    this.#slices.clear();
  }

  #totals(nowMs: number): number[] {
    const totals = new Array<number>(this.#boundariesMs.length + 1).fill(0);
    for (const counts of this.#slices.live(nowMs)) {
      for (let i = 0; i < counts.length; i++) totals[i]! += counts[i]!;
    }
    return totals;
  }
}
