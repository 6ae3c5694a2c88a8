import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('writes equal objects the same whatever their key order', () => {
    const a = canonicalJson({ b: 1, a: { d: [1, 2], c: 'x' } });
    const b = canonicalJson({ a: { c: 'x', d: [1, 2] }, b: 1 });

    expect(a).toBe('{"a":{"c":"x","d":[1,2]},"b":1}');
    expect(b).toBe(a);
  });

  it('keeps array order, which is meaningful', () => {
    expect(canonicalJson([2, 1])).toBe('[2,1]');
  });

  it('drops undefined members and writes undefined items as null, like JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, null] })).toBe('{"b":[null,null]}');
  });

  it('escapes strings and keys as JSON does', () => {
    expect(canonicalJson({ 'q"k': 'line\nbreak' })).toBe('{"q\\"k":"line\\nbreak"}');
  });

  it('refuses a non-finite number rather than writing it as null', () => {
    expect(() => canonicalJson({ t: Number.NaN })).toThrow('value.t: NaN is not a JSON number');
  });

  it('refuses a bigint', () => {
    expect(() => canonicalJson([1n])).toThrow('value[0]: a bigint has no JSON form');
  });
});
