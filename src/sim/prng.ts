/**
 * Small deterministic sources of randomness, so that a simulator run with a
 * given seed replays the same faults, ids and enum labels every time.
 */

/**
 * A seeded PRNG (mulberry32) returning numbers in [0, 1). Good enough for
 * picking faults; not for anything that needs to be unpredictable.
 */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return function nextRandom(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit FNV-1a hash of a string; stable across runs and platforms. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Builds ids like `chatcmpl-…` from a random source, `length` characters after the prefix. */
export function createIdGenerator(
  random: () => number,
): (prefix: string, length: number) => string {
  return function newId(prefix, length) {
    let id = prefix;
    for (let i = 0; i < length; i++) {
      id += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)] ?? 'A';
    }
    return id;
  };
}
