import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  displayPrefixOf,
  generateApiKey,
  hashApiKey,
  isApiKeyFormat,
  randomBase62,
} from './api-key.js';

/** Bytes 0, 1, 2, … repeating: predictable output for exact assertions. */
function countingBytes(start = 0) {
  let next = start;
  return (size: number) => Uint8Array.from({ length: size }, () => next++ % 256);
}

describe('generateApiKey', () => {
  it('makes sk-sy- and 32 base62 characters, with its SHA-256 and display prefix', () => {
    const key = generateApiKey({ randomBytes: countingBytes() });

    expect(key.plaintext).toBe('sk-sy-0123456789ABCDEFGHIJKLMNOPQRSTUV');
    expect(key.hash).toBe(createHash('sha256').update(key.plaintext).digest('hex'));
    expect(key.displayPrefix).toBe('sk-sy-01…STUV');
  });

  it('makes keys of the right shape from the real random source, each different', () => {
    const keys = Array.from({ length: 50 }, () => generateApiKey().plaintext);

    expect(keys.every(isApiKeyFormat)).toBe(true);
    expect(new Set(keys).size).toBe(50);
  });
});

describe('randomBase62', () => {
  it('skips bytes of 248 and above instead of folding them in', () => {
    // 248..255 are dropped; 0 and 61 map to the first and last character.
    const bytes = [248, 255, 0, 61, 62, 247];
    const text = randomBase62(4, { randomBytes: () => Uint8Array.from(bytes) });
    expect(text).toBe('0z0z');
  });

  it('fails rather than loop forever on a source that gives only unusable bytes', () => {
    expect(() => randomBase62(4, { randomBytes: (n) => new Uint8Array(n).fill(255) })).toThrow(
      'the random source gave too few usable bytes',
    );
  });
});

describe('api key helpers', () => {
  it('hashes as hex SHA-256 of the UTF-8 text', () => {
    expect(hashApiKey('sk-sy-x')).toBe(createHash('sha256').update('sk-sy-x').digest('hex'));
  });

  it('shows the first 8 and last 4 characters', () => {
    expect(displayPrefixOf('sk-sy-abcdefghijklmnopqrstuvwxyz012345')).toBe('sk-sy-ab…2345');
  });

  it('recognises only the exact key shape', () => {
    expect(isApiKeyFormat('sk-sy-' + 'a'.repeat(32))).toBe(true);
    expect(isApiKeyFormat('sk-sy-' + 'a'.repeat(31))).toBe(false);
    expect(isApiKeyFormat('sk-sy-' + 'a'.repeat(31) + '-')).toBe(false);
    expect(isApiKeyFormat('sk-proj-' + 'a'.repeat(32))).toBe(false);
  });
});
