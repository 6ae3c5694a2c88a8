import { describe, expect, it } from 'vitest';
import { compileSchema, isStrictCompatible } from './compile-schema.js';

const event = {
  type: 'object',
  additionalProperties: false,
  required: ['at', 'confidence'],
  properties: {
    at: { type: 'string', format: 'date-time' },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
  },
};

describe('compileSchema', () => {
  it('keeps the first 50 issues of a value and counts the rest', () => {
    const contract = compileSchema('many', {
      type: 'array',
      items: { type: 'string' },
    });
    const issues = contract.validate(Array.from({ length: 80 }, (_, i) => i));
    expect(issues).toHaveLength(51);
    expect(issues[0]).toEqual({ path: '/0', message: 'must be string' });
    expect(issues[49]).toEqual({ path: '/49', message: 'must be string' });
    expect(issues[50]).toEqual({ path: '', message: 'and 30 more' });
  });

  it('accepts an RFC 3339 date-time with a timezone', () => {
    const contract = compileSchema('event', event);
    expect(contract.validate({ at: '2024-05-01T10:00:00Z', confidence: 0.5 })).toEqual([]);
    expect(contract.validate({ at: '2024-05-01T10:00:00+02:00', confidence: 0.5 })).toEqual([]);
  });

  it('rejects a naive timestamp, naming the field', () => {
    const issues = compileSchema('event', event).validate({
      at: '2024-05-01T10:00:00',
      confidence: 0.5,
    });
    expect(issues).toEqual([{ path: '/at', message: 'must match format "date-time"' }]);
  });

  it('names a missing required property by its path', () => {
    const issues = compileSchema('event', event).validate({ at: '2024-05-01T10:00:00Z' });
    expect(issues).toEqual([
      { path: '/confidence', message: "must have required property 'confidence'" },
    ]);
  });

  it('knows whether a schema declares a confidence', () => {
    expect(compileSchema('event', event).hasConfidence).toBe(true);
    expect(compileSchema('plain', { type: 'object' }).hasConfidence).toBe(false);
  });
});

describe('isStrictCompatible', () => {
  it('takes closed objects with every property required', () => {
    const closed = {
      ...event,
      properties: { at: { type: 'string' }, confidence: { type: 'number' } },
    };
    expect(isStrictCompatible(closed)).toBe(true);
  });

  it('refuses open objects, optional properties and keywords outside the subset', () => {
    expect(isStrictCompatible({ type: 'object', properties: { a: { type: 'string' } } })).toBe(
      false,
    );
    expect(
      isStrictCompatible({
        type: 'object',
        additionalProperties: false,
        required: [],
        properties: { a: { type: 'string' } },
      }),
    ).toBe(false);
    expect(isStrictCompatible(event)).toBe(false); // format, minimum, maximum
  });
});
