/**
 * A sliding window as a ring of fixed time slices: a sample lands in the
 * slice of its time, and a slice older than the window is reset when its
 * place in the ring comes round again. Reading the window touches each slice
 * once, so its cost depends on the number of slices, never on the number of
 * samples. The window is as coarse as one slice: it covers between
 * `windowMs - sliceMs` and `windowMs` of the past.
 */
export class TimeSlices<T> {
  readonly windowMs: number;
  readonly sliceMs: number;
  readonly #fresh: () => T;
  readonly #slots: Array<{ index: number; value: T } | undefined>;

  constructor(options: { windowMs: number; slices: number; fresh: () => T }) {
    if (!(options.windowMs > 0)) throw new Error('windowMs must be positive');
    if (!Number.isInteger(options.slices) || options.slices < 1) {
      throw new Error('slices must be a positive integer');
    }
    this.windowMs = options.windowMs;
    this.sliceMs = options.windowMs / options.slices;
    this.#fresh = options.fresh;
    this.#slots = new Array(options.slices).fill(undefined);
  }

  /** The slice that holds `nowMs`, emptied first if it held an older slice's samples. */
  slot(nowMs: number): T {
    const index = Math.floor(nowMs / this.sliceMs);
    const size = this.#slots.length;
    const position = ((index % size) + size) % size;
    const current = this.#slots[position];
    if (current?.index === index) return current.value;

    const value = this.#fresh();
    this.#slots[position] = { index, value };
    return value;
  }

  /** The slices still inside the window at `nowMs`. */
  live(nowMs: number): T[] {
    const newest = Math.floor(nowMs / this.sliceMs);
    const oldest = newest - this.#slots.length + 1;
    const values: T[] = [];
    for (const entry of this.#slots) {
      if (entry && entry.index >= oldest && entry.index <= newest) values.push(entry.value);
    }
    return values;
  }

  /** Forgets every sample. */
  clear(): void {
    this.#slots.fill(undefined);
  }
}
