import { TimeSlices } from './time-slices.js';

export interface RatioWindowOptions {
  windowMs: number;
  /** Time slices in the ring; default 30. */
  slices?: number;
}

/** Events and the share of them that were hits, over the window. */
export interface RatioTotals {
  total: number;
  hits: number;
  /** `hits / total`; 0 with no events. */
  ratio: number;
}

/**
 * Counts events, and those of them that were hits (a schema failure, a
 * cost-cap breach), over a sliding window of time slices: two counters per
 * slice, whatever the traffic.
 */
export class RatioWindow {
  readonly #slices: TimeSlices<{ total: number; hits: number }>;

  constructor(options: RatioWindowOptions) {
    this.#slices = new TimeSlices({
      windowMs: options.windowMs,
      slices: options.slices ?? 30,
      fresh: () => ({ total: 0, hits: 0 }),
    });
  }

  record(input: { hit: boolean; nowMs: number }): void {
    const slice = this.#slices.slot(input.nowMs);
    slice.total += 1;
    if (input.hit) slice.hits += 1;
  }

  totals(nowMs: number): RatioTotals {
    let total = 0;
    let hits = 0;
    for (const slice of this.#slices.live(nowMs)) {
      total += slice.total;
      hits += slice.hits;
    }
    return { total, hits, ratio: total === 0 ? 0 : hits / total };
  }

  clear(): void {
    this.#slices.clear();
  }
}
