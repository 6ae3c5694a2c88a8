import type { RequestFacts, RequestObserver } from '../telemetry/request-facts.js';
import {
  addFacts,
  emptyBucket,
  latencyQuantiles,
  mergeBucket,
  ratio,
  resetBucket,
  validationSuccessRatio,
  type LatencyQuantiles,
  type StatBucket,
} from './stat-bucket.js';

export interface DashboardStatsOptions {
  /** Epoch ms; default `Date.now`. Tests pass a fake. */
  now?: () => number;
  /** Width of one time bucket; default 5 s. */
  bucketMs?: number;
  /** How far back the charts reach; default 15 minutes. */
  seriesMs?: number;
  /** Distinct task types counted apart; later ones are added up as `(other)`. Default 100. */
  maxTaskTypes?: number;
  /** How many of the costliest task types a snapshot lists; default 8. */
  topTaskTypes?: number;
}

/** The window of the headline rates and of each chart point. */
export const RATE_WINDOW_MS = 60_000;
/** The window of the headline quantiles, cost per hour and ratios. */
export const SUMMARY_WINDOW_MS = 5 * 60_000;
/** The name that task types past `maxTaskTypes` are counted under. */
export const OTHER_TASK_TYPES = '(other)';

/** Figures over one window; rates are per the time the window really covered. */
export interface WindowFigures {
  /** The time covered: the window, or less since the stats began. */
  spanMs: number;
  requests: number;
  errors: number;
  costUsd: number;
  requestsPerMinute: number;
  costPerHourUsd: number;
  latencyMs: LatencyQuantiles;
  validationSuccessRatio: number | null;
  fallbackRate: number | null;
  cacheHitRate: number | null;
}

/** Everything counted since the stats began. */
export interface TotalFigures {
  requests: number;
  errors: number;
  costUsd: number;
  valid: number;
  repaired: number;
  invalid: number;
  fallbacks: number;
  cacheHits: number;
  cacheLookups: number;
  latencyMs: LatencyQuantiles;
  validationSuccessRatio: number | null;
  fallbackRate: number | null;
  cacheHitRate: number | null;
}

/** One chart point: the minute that ended at `atMs`. */
export interface SeriesPoint {
  atMs: number;
  requestsPerMinute: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  costPerHourUsd: number;
  validationSuccessRatio: number | null;
  fallbackRate: number | null;
  cacheHitRate: number | null;
}

export interface TaskTypeCost {
  taskType: string;
  requests: number;
  costUsd: number;
}

/** What `GET /dashboard/data` reports from the stats (breakers and policies are added to it). */
export interface StatsSnapshot {
  generatedAtMs: number;
  startedAtMs: number;
  /** The last minute. */
  lastMinute: WindowFigures;
  /** The last five minutes. */
  lastFiveMinutes: WindowFigures;
  totals: TotalFigures;
  /** Chart points oldest first, one per bucket, each over the minute before it. */
  series: { stepMs: number; points: SeriesPoint[] };
  /** Task types by spend since the stats began, costliest first. */
  taskTypes: TaskTypeCost[];
}

interface Slot {
  index: number;
  bucket: StatBucket;
}

/**
 * The live dashboard's numbers, kept as a `RequestObserver`. Requests are
 * added to the time bucket of their arrival in a fixed ring (15 minutes of
 * 5-second buckets by default) and to running totals, so recording costs
 * the same whatever the traffic, and a snapshot reads each bucket of a
 * window once. Quantiles come from bucket counts on the metrics' latency
 * bounds, as `histogram_quantile` computes them from `GET /metrics`.
 *
 * The numbers are this process's alone: with several replicas each
 * dashboard shows its own traffic (Grafana, over every replica's
 * `/metrics`, shows the sum), and a restart starts them from zero.
 */
export class DashboardStats implements RequestObserver {
  readonly startedAtMs: number;
  readonly bucketMs: number;
  readonly #now: () => number;
  readonly #ring: Slot[];
  readonly #seriesBuckets: number;
  readonly #totals = emptyBucket();
  readonly #taskTypes = new Map<string, TaskTypeCost>();
  readonly #maxTaskTypes: number;
  readonly #topTaskTypes: number;

  constructor(options: DashboardStatsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.bucketMs = options.bucketMs ?? 5_000;
    if (!(this.bucketMs > 0) || RATE_WINDOW_MS % this.bucketMs !== 0) {
      throw new Error('bucketMs must divide one minute');
    }
    this.#seriesBuckets = Math.ceil((options.seriesMs ?? 15 * 60_000) / this.bucketMs);
    // Room for the series, and the window the oldest point looks back over.
    const size = this.#seriesBuckets + Math.ceil(SUMMARY_WINDOW_MS / this.bucketMs);
    this.#ring = Array.from({ length: size }, () => ({ index: -1, bucket: emptyBucket() }));
    this.#maxTaskTypes = options.maxTaskTypes ?? 100;
    this.#topTaskTypes = options.topTaskTypes ?? 8;
    this.startedAtMs = this.#now();
  }

  /** Counts one finished request at the time it is told. */
  observe(facts: RequestFacts): void {
    addFacts(this.#slot(this.#indexAt(this.#now())), facts);
    addFacts(this.#totals, facts);
    this.#addTaskType(facts);
  }

  /** The figures as of now. */
  snapshot(): StatsSnapshot {
    const nowMs = this.#now();
    return {
      generatedAtMs: nowMs,
      startedAtMs: this.startedAtMs,
      lastMinute: this.#window({ endMs: nowMs, windowMs: RATE_WINDOW_MS }),
      lastFiveMinutes: this.#window({ endMs: nowMs, windowMs: SUMMARY_WINDOW_MS }),
      totals: this.#totalFigures(),
      series: { stepMs: this.bucketMs, points: this.#series(nowMs) },
      taskTypes: this.#costliestTaskTypes(),
    };
  }

  #indexAt(ms: number): number {
    return Math.floor(ms / this.bucketMs);
  }

  /** The bucket for `index`, emptied first if it last held an older one. */
  #slot(index: number): StatBucket {
    const slot = this.#ring[index % this.#ring.length]!;
    if (slot.index !== index) {
      resetBucket(slot.bucket);
      slot.index = index;
    }
    return slot.bucket;
  }

  /** The sum of the buckets `first..last` that the ring still holds. */
  #sum(first: number, last: number): StatBucket {
    const sum = emptyBucket();
    for (let index = Math.max(first, last - this.#ring.length + 1); index <= last; index++) {
      const slot = this.#ring[index % this.#ring.length]!;
      if (slot.index === index) mergeBucket(sum, slot.bucket);
    }
    return sum;
  }

  /**
   * The window of `windowMs` ending at `endMs`, in bucket `last` (by default
   * the one `endMs` falls in). It starts at a bucket boundary, so it covers
   * up to one bucket less than `windowMs`; rates divide by what it covered,
   * and by no less than one bucket so the first requests after a start do
   * not read as a huge rate.
   */
  #window(input: { endMs: number; windowMs: number; last?: number }): WindowFigures {
    const { endMs, windowMs } = input;
    const last = input.last ?? this.#indexAt(endMs);
    const first = last - windowMs / this.bucketMs + 1;
    const sum = this.#sum(first, last);
    const startMs = Math.max(first * this.bucketMs, this.startedAtMs);
    const spanMs = Math.max(endMs - startMs, this.bucketMs);
    return {
      spanMs,
      requests: sum.requests,
      errors: sum.errors,
      costUsd: sum.costUsd,
      requestsPerMinute: (sum.requests * 60_000) / spanMs,
      costPerHourUsd: (sum.costUsd * 3_600_000) / spanMs,
      latencyMs: latencyQuantiles(sum),
      validationSuccessRatio: validationSuccessRatio(sum),
      fallbackRate: ratio(sum.fallbacks, sum.requests),
      cacheHitRate: ratio(sum.cacheHits, sum.cacheLookups),
    };
  }

  #series(nowMs: number): SeriesPoint[] {
    const newest = this.#indexAt(nowMs);
    const oldest = Math.max(newest - this.#seriesBuckets + 1, this.#indexAt(this.startedAtMs));
    const points: SeriesPoint[] = [];
    for (let index = oldest; index <= newest; index++) {
      const endMs = Math.min(nowMs, (index + 1) * this.bucketMs);
      const minute = this.#window({ endMs, windowMs: RATE_WINDOW_MS, last: index });
      points.push({
        atMs: endMs,
        requestsPerMinute: minute.requestsPerMinute,
        p50Ms: minute.latencyMs.p50,
        p95Ms: minute.latencyMs.p95,
        p99Ms: minute.latencyMs.p99,
        costPerHourUsd: minute.costPerHourUsd,
        validationSuccessRatio: minute.validationSuccessRatio,
        fallbackRate: minute.fallbackRate,
        cacheHitRate: minute.cacheHitRate,
      });
    }
    return points;
  }

  #totalFigures(): TotalFigures {
    const t = this.#totals;
    return {
      requests: t.requests,
      errors: t.errors,
      costUsd: t.costUsd,
      valid: t.valid,
      repaired: t.repaired,
      invalid: t.invalid,
      fallbacks: t.fallbacks,
      cacheHits: t.cacheHits,
      cacheLookups: t.cacheLookups,
      latencyMs: latencyQuantiles(t),
      validationSuccessRatio: validationSuccessRatio(t),
      fallbackRate: ratio(t.fallbacks, t.requests),
      cacheHitRate: ratio(t.cacheHits, t.cacheLookups),
    };
  }

  #addTaskType(facts: RequestFacts): void {
    // Task types are whatever clients send, so their number is capped here.
    let entry = this.#taskTypes.get(facts.taskType);
    if (!entry) {
      const full = this.#taskTypes.size >= this.#maxTaskTypes;
      const taskType = full ? OTHER_TASK_TYPES : facts.taskType;
      entry = this.#taskTypes.get(taskType) ?? { taskType, requests: 0, costUsd: 0 };
      this.#taskTypes.set(taskType, entry);
    }
    entry.requests += 1;
    entry.costUsd += facts.costUsd;
  }

  #costliestTaskTypes(): TaskTypeCost[] {
    // At most `maxTaskTypes + 1` entries: sorting them per snapshot is cheap.
    return [...this.#taskTypes.values()]
      .sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests)
      .slice(0, this.#topTaskTypes)
      .map((entry) => ({ ...entry }));
  }
}
