import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { flattenSchema, sampleSchema } from './sample-schema.js';
import { samplePattern } from './sample-pattern.js';

const addFormats = addFormatsModule.default;

function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

const SCHEMAS: Record<string, object> = {
  'strict object with enum and confidence': {
    type: 'object',
    properties: {
      label: { type: 'string', enum: ['billing', 'bug', 'feature', 'other'] },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      reasons: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 3 },
    },
    required: ['label', 'confidence', 'reasons'],
    additionalProperties: false,
  },
  'type arrays and nullable': {
    type: 'object',
    properties: { note: { type: ['string', 'null'] }, count: { type: ['null', 'integer'] } },
    required: ['note', 'count'],
  },
  formats: {
    type: 'object',
    properties: {
      at: { type: 'string', format: 'date-time' },
      day: { type: 'string', format: 'date' },
      clock: { type: 'string', format: 'time' },
      email: { type: 'string', format: 'email' },
      home: { type: 'string', format: 'uri' },
      id: { type: 'string', format: 'uuid' },
      ip: { type: 'string', format: 'ipv4' },
    },
    required: ['at', 'day', 'clock', 'email', 'home', 'id', 'ip'],
  },
  'numeric bounds': {
    type: 'object',
    properties: {
      small: { type: 'integer', minimum: 10, maximum: 12 },
      open: { type: 'number', exclusiveMinimum: 5, exclusiveMaximum: 6 },
      step: { type: 'integer', multipleOf: 5, minimum: 7 },
      half: { type: 'number', multipleOf: 0.5, exclusiveMinimum: 2 },
      negative: { type: 'integer', maximum: -3 },
    },
    required: ['small', 'open', 'step', 'half', 'negative'],
  },
  'string lengths and patterns': {
    type: 'object',
    properties: {
      long: { type: 'string', minLength: 40 },
      short: { type: 'string', maxLength: 3 },
      code: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
      slug: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' },
    },
    required: ['long', 'short', 'code', 'slug'],
  },
  'tuples and unique items': {
    type: 'object',
    properties: {
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
      tags: { type: 'array', items: { enum: ['a', 'b', 'c'] }, minItems: 3, uniqueItems: true },
      people: {
        type: 'array',
        minItems: 2,
        uniqueItems: true,
        items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      },
    },
    required: ['pair', 'tags', 'people'],
  },
  'refs and defs': {
    $defs: {
      address: {
        type: 'object',
        properties: { city: { type: 'string' }, zip: { type: 'string', pattern: '^\\d{5}$' } },
        required: ['city', 'zip'],
      },
    },
    definitions: { status: { enum: ['open', 'closed'] } },
    type: 'object',
    properties: {
      home: { $ref: '#/$defs/address' },
      work: { $ref: '#/$defs/address' },
      status: { $ref: '#/definitions/status' },
    },
    required: ['home', 'work', 'status'],
  },
  'recursive tree': {
    $defs: {
      node: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          children: { type: 'array', items: { $ref: '#/$defs/node' } },
        },
        required: ['name', 'children'],
      },
    },
    $ref: '#/$defs/node',
  },
  'allOf merge': {
    allOf: [
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
      { properties: { b: { type: 'integer', minimum: 3 } }, required: ['b'] },
      { properties: { b: { maximum: 4 } } },
    ],
  },
  'anyOf and oneOf': {
    type: 'object',
    properties: {
      either: { anyOf: [{ type: 'null' }, { type: 'string', minLength: 2 }] },
      shape: {
        oneOf: [
          { type: 'object', properties: { kind: { const: 'circle' }, r: { type: 'number' } } },
          { type: 'object', properties: { kind: { const: 'square' } } },
        ],
      },
    },
    required: ['either', 'shape'],
  },
  'min properties with additional schema': {
    type: 'object',
    additionalProperties: { type: 'integer' },
    minProperties: 2,
  },
  'top-level array of objects': {
    type: 'array',
    items: {
      type: 'object',
      properties: { when: { type: 'string', format: 'date-time' }, ok: { type: 'boolean' } },
      required: ['when', 'ok'],
      additionalProperties: false,
    },
  },
};

describe('sampleSchema', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`writes a valid value for ${name}`, () => {
      const validate = validator().compile(schema);
      const value = sampleSchema(schema, { seedText: `prompt about ${name}` });
      expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    });
  }

  it('gives the same value for the same prompt and may change label with the prompt', () => {
    const schema = { enum: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] };
    const first = sampleSchema(schema, { seedText: 'hello' });
    expect(sampleSchema(schema, { seedText: 'hello' })).toBe(first);
    const labels = new Set(
      Array.from({ length: 20 }, (_, i) => sampleSchema(schema, { seedText: `prompt ${i}` })),
    );
    expect(labels.size).toBeGreaterThan(2);
  });

  it('writes 0.9 for a confidence in [0, 1]', () => {
    const schema = SCHEMAS['strict object with enum and confidence'];
    const value = sampleSchema(schema) as { confidence: number; reasons: string[] };
    expect(value.confidence).toBe(0.9);
    expect(value.reasons).toHaveLength(2);
  });

  it('writes date-times with Z, or without a timezone when asked for naive ones', () => {
    const schema = { type: 'string', format: 'date-time' };
    expect(sampleSchema(schema)).toBe('2024-05-01T10:00:00Z');
    expect(sampleSchema(schema, { naiveDateTime: true })).toBe('2024-05-01T10:00:00');
  });

  it('stops recursive schemas at a bounded depth', () => {
    const value = sampleSchema(SCHEMAS['recursive tree']);
    let depth = 0;
    let node = value as { children: unknown[] };
    while (node.children.length > 0) {
      node = node.children[0] as { children: unknown[] };
      depth++;
    }
    expect(depth).toBeGreaterThan(0);
    expect(depth).toBeLessThan(8);
  });

  it('finishes on $refs that only lead back to the root', () => {
    for (const schema of [
      { anyOf: [{ $ref: '#' }] },
      { anyOf: [{ $ref: '#' }, { $ref: '#' }] },
      { allOf: [{ $ref: '#' }], oneOf: [{ $ref: '#' }] },
    ]) {
      // No finite instance is defined; any value will do, as long as one comes.
      expect(() => sampleSchema(schema), JSON.stringify(schema)).not.toThrow();
    }
  });

  it('keeps a property named __proto__ as a plain property', () => {
    // JSON.parse makes __proto__ an own property, as a schema read from a file has it.
    const schema: unknown = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"type":"integer"}},"required":["__proto__"]}',
    );
    const value = sampleSchema(schema);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(JSON.stringify(value)).toBe('{"__proto__":1}');
    expect(validator().compile(schema as object)(value)).toBe(true);
  });

  it('flattens refs and allOf to find required properties', () => {
    expect(flattenSchema(SCHEMAS['allOf merge']).required).toEqual(['a', 'b']);
    expect(flattenSchema(SCHEMAS['recursive tree']).required).toEqual(['name', 'children']);
  });
});

describe('samplePattern', () => {
  it('writes strings for common patterns', () => {
    expect(samplePattern('^[A-Z]{2}\\d{3}$')).toBe('AA111');
    expect(samplePattern('^(foo|bar)-[a-f0-9]{4,8}$')).toBe('foo-aaaa');
    expect(samplePattern('^[^0-9]+$')).toBe('a');
  });

  it('gives up on lookarounds and backreferences', () => {
    expect(samplePattern('^(?=.*\\d)[a-z]+$')).toBeUndefined();
    expect(samplePattern('^(a)\\1$')).toBeUndefined();
  });
});

describe('sampleSchema size caps', () => {
  it('writes at most 1,000 items for a huge minItems, which then fails the schema', () => {
    const schema = { type: 'array', items: { type: 'integer' }, minItems: 100_000_000 };
    const value = sampleSchema(schema) as unknown[];
    expect(value).toHaveLength(1000);
    expect(validator().compile(schema)(value)).toBe(false);
  });

  it('writes at most 10,000 characters for a huge minLength, which then fails the schema', () => {
    const schema = { type: 'string', minLength: 1_000_000 };
    const value = sampleSchema(schema) as string;
    expect(value).toHaveLength(10_000);
    expect(validator().compile(schema)(value)).toBe(false);
  });

  it('still meets a minLength under the cap', () => {
    expect(sampleSchema({ type: 'string', minLength: 9_999 })).toHaveLength(9_999);
  });

  it('writes at most 1,000 extra properties for a huge minProperties', () => {
    const value = sampleSchema({ type: 'object', minProperties: 1_000_000 }) as object;
    expect(Object.keys(value)).toHaveLength(1000);
  });

  it('bounds the whole sample when arrays nest', () => {
    const schema = {
      type: 'array',
      minItems: 1000,
      items: {
        type: 'array',
        minItems: 1000,
        items: { type: 'array', minItems: 1000, items: { type: 'integer' } },
      },
    };
    const count = (value: unknown): number =>
      1 + (Array.isArray(value) ? value.reduce((sum: number, item) => sum + count(item), 0) : 0);
    // Uncapped this would be a billion values; the cap is 100,000 for the whole sample.
    expect(count(sampleSchema(schema))).toBe(100_000);
  });

  it('bounds the total characters of many long strings', () => {
    const schema = { type: 'array', minItems: 1000, items: { type: 'string', minLength: 10_000 } };
    const value = sampleSchema(schema) as string[];
    const chars = value.reduce((sum, text) => sum + text.length, 0);
    expect(chars).toBeLessThanOrEqual(1_000_000 + 10_000);
    expect(value.length).toBeLessThan(1000);
  });
});

describe('schemas that refer to themselves', () => {
  it('resolves a plain-name $ref to the subschema with that $anchor', () => {
    const schema = {
      type: 'object',
      required: ['a'],
      properties: { a: { $ref: '#flag' } },
      $defs: { f: { $anchor: 'flag', type: 'boolean' } },
    };
    expect(sampleSchema(schema)).toEqual({ a: true });
  });

  it('stops, without overflowing the stack, on a schema that requires itself', () => {
    const schema = { type: 'object', required: ['a'], properties: { a: { $ref: '#' } } };
    let value: unknown = sampleSchema(schema);
    let depth = 0;
    while (value !== null && typeof value === 'object') {
      value = (value as { a: unknown }).a;
      depth++;
    }
    expect(depth).toBe(65);
  });
});
