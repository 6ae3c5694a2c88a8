/**
 * A first-in, first-out queue with cheap removal at the front, for the
 * writer's pending records. A plain array's `shift` copies the whole array,
 * which at the spool's bound (100 000 records) would be paid on every enqueue.
 */
export class RecordQueue<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Puts items back at the front, in their order (a batch that failed). */
  unshiftAll(items: T[]): void {
    if (items.length === 0) return;
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /** Removes and returns up to `count` items from the front. */
  take(count: number): T[] {
    const end = Math.min(this.#head + count, this.#items.length);
    const taken = this.#items.slice(this.#head, end);
    this.#head = end;
    this.#compact();
    return taken;
  }

  /** The item `index` places from the back (0 is the newest). */
  fromBack(index: number): T | undefined {
    const at = this.#items.length - 1 - index;
    return at >= this.#head ? this.#items[at] : undefined;
  }

  toArray(): T[] {
    return this.#items.slice(this.#head);
  }

  #compact(): void {
    // Reclaim the dead front once it is both large and most of the array.
    if (this.#head < 1024 || this.#head * 2 < this.#items.length) return;
    this.#items = this.#items.slice(this.#head);
    this.#head = 0;
  }
}
