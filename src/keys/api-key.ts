import { createHash, randomBytes as cryptoRandomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Every key starts so, which tells a Switchyard key from a provider's at a glance. */
export const API_KEY_PREFIX = 'sk-sy-';
const SECRET_CHARS = 32;
const API_KEY_PATTERN = /^sk-sy-[0-9A-Za-z]{32}$/;

/** A source of random bytes; tests pass a fixed one. */
export type RandomBytes = (size: number) => Uint8Array;

/**
 * A string of `length` base62 characters from a cryptographic source. Bytes
 * of 248 and above are thrown away rather than folded in with `% 62`, which
 * would make the first eight characters more likely than the rest.
 */
export function randomBase62(length: number, options: { randomBytes?: RandomBytes } = {}): string {
  const randomBytes = options.randomBytes ?? cryptoRandomBytes;
  let text = '';
  // Bounded: each byte is kept with probability 248/256, so a few rounds do.
  for (let round = 0; round < 64 && text.length < length; round++) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue;
      text += BASE62[byte % 62];
      if (text.length === length) break;
    }
  }
  if (text.length < length) throw new Error('the random source gave too few usable bytes');
  return text;
}

/** A new key: the plaintext, shown once, and what may be stored about it. */
export interface GeneratedApiKey {
  /** `sk-sy-` and 32 base62 characters (about 190 bits); never stored. */
  plaintext: string;
  /** SHA-256 of the plaintext, hex; what the store looks keys up by. */
  hash: string;
  /** First 8 and last 4 characters, for telling keys apart in lists. */
  displayPrefix: string;
}

export function generateApiKey(options: { randomBytes?: RandomBytes } = {}): GeneratedApiKey {
  const plaintext = API_KEY_PREFIX + randomBase62(SECRET_CHARS, options);
  return { plaintext, hash: hashApiKey(plaintext), displayPrefix: displayPrefixOf(plaintext) };
}

/**
 * The stored form of a key. A plain SHA-256 is enough here (no salt, no slow
 * hash): the key has ~190 random bits, so there is no dictionary to try, and
 * an unsalted hash lets a request find its key by one indexed lookup.
 */
export function hashApiKey(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}

/** `sk-sy-Ab…wxyz`: enough to recognise a key, far too little to use it. */
export function displayPrefixOf(plaintext: string): string {
  return `${plaintext.slice(0, 8)}…${plaintext.slice(-4)}`;
}

/** Whether `text` has the shape of a Switchyard key (not whether one exists). */
export function isApiKeyFormat(text: string): boolean {
  return API_KEY_PATTERN.test(text);
}
