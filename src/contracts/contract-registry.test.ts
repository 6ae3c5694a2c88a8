import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { inlineSchemaCount } from './compile-schema.js';
import { ContractRegistry } from './contract-registry.js';

const NESTED = 'nested quantifiers can take exponential time; rewrite the pattern';

function rejection(run: () => unknown): { status: number; type: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) {
      return { status: error.status, type: error.type, message: error.message };
    }
    throw error;
  }
  throw new Error('expected a rejection');
}

function nestedArraySchema(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let level = 0; level < depth; level++) schema = { type: 'array', items: schema };
  return schema;
}

describe('ContractRegistry.inline guards', () => {
  it('refuses a nested-quantifier pattern with a 400 naming its path', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'string', pattern: '^(a+)+$' } },
      required: ['a'],
    };
    expect(rejection(() => new ContractRegistry().inline(schema, 'schema'))).toEqual({
      status: 400,
      type: 'invalid_request',
      message: `schema.properties.a.pattern: ${NESTED}`,
    });
  });

  it('finds patterns in items, $defs, anyOf and patternProperties keys', () => {
    const registry = new ContractRegistry();
    const field = 'response_format.json_schema.schema';
    const cases: Array<[unknown, string]> = [
      [{ type: 'array', items: { pattern: '(a*)*' } }, `${field}.items.pattern: ${NESTED}`],
      [
        { $defs: { code: { anyOf: [{ type: 'null' }, { pattern: '(a|aa)+' }] } } },
        `${field}.$defs.code.anyOf.1.pattern: ${NESTED}`,
      ],
      [
        { type: 'object', patternProperties: { '^(x+)+$': { type: 'string' } } },
        `${field}.patternProperties: key "^(x+)+$": ${NESTED}`,
      ],
      [
        { properties: { a: { pattern: 'b'.repeat(1001) } } },
        `${field}.properties.a.pattern: is longer than 1,000 characters`,
      ],
    ];
    for (const [schema, message] of cases) {
      expect(rejection(() => registry.inline(schema, field)).message).toBe(message);
    }
  });

  it('does not mistake a property named pattern for a pattern keyword', () => {
    const schema = { type: 'object', properties: { pattern: { const: '(a+)+' } } };
    expect(new ContractRegistry().inline(schema, 'schema').validate({ pattern: '(a+)+' })).toEqual(
      [],
    );
  });

  it('refuses a schema nested thousands of levels deep with a 400 naming the field', () => {
    expect(
      rejection(() => new ContractRegistry().inline(nestedArraySchema(5000), 'schema')),
    ).toEqual({
      status: 400,
      type: 'invalid_request',
      message: 'schema: nests deeper than 64 levels',
    });
    // 31 array levels are 62 levels of JSON nesting, within the limit.
    const contract = new ContractRegistry().inline(nestedArraySchema(31), 'schema');
    expect(contract.validate([[[]]])).toEqual([]);
  });

  it('leaves named contracts from the operator unchecked', () => {
    const registry = new ContractRegistry();
    const contract = registry.add('operator_pattern', { type: 'string', pattern: '^(ab+)+$' });
    expect(contract.validate('abbab')).toEqual([]);
  });
});

describe('ContractRegistry.inline and Ajv memory', () => {
  it('keeps at most the 256 cached inline schemas compiled in Ajv', () => {
    const registry = new ContractRegistry();
    const before = inlineSchemaCount();
    const schemaNumber = (n: number) => ({
      type: 'object',
      properties: { [`memory_test_${n}`]: { type: 'integer' } },
    });
    for (let n = 0; n < 300; n++) registry.inline(schemaNumber(n), 'schema');
    const afterFirst = inlineSchemaCount();
    expect(afterFirst - before).toBe(256);
    for (let n = 300; n < 600; n++) registry.inline(schemaNumber(n), 'schema');
    expect(inlineSchemaCount()).toBe(afterFirst);
  });

  it('does not keep schemas Ajv refused', () => {
    const before = inlineSchemaCount();
    const failure = rejection(() =>
      new ContractRegistry().inline({ $ref: 'https://example.com/missing-ref-test' }, 'schema'),
    );
    expect(failure.status).toBe(400);
    expect(failure.message).toMatch(/^schema: is not a valid JSON Schema: /);
    expect(inlineSchemaCount()).toBe(before);
  });
});

describe('ContractRegistry.inline and recursion', () => {
  it('takes a recursive schema that refers to its root', () => {
    const tree = {
      type: 'object',
      properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
      required: ['name'],
    };
    const contract = new ContractRegistry().inline(tree, 'schema');
    expect(contract.validate({ name: 'a', children: [{ name: 'b', children: [] }] })).toEqual([]);
    expect(contract.validate({ name: 'a', children: [{ children: [] }] })).toEqual([
      { path: '/children/0/name', message: "must have required property 'name'" },
    ]);
  });

  it('refuses $refs that only lead to each other, naming the field', () => {
    const loop = {
      $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } },
      $ref: '#/$defs/a',
    };
    const failure = rejection(() => new ContractRegistry().inline(loop, 'schema'));
    expect(failure.status).toBe(400);
    expect(failure.message).toBe(
      'schema.$defs.a: leads back to itself through $refs without reaching into the value, so validation never ends',
    );
  });
});

describe('ContractRegistry.inline and self-reference', () => {
  it('refuses a $ref back to the root that never reaches into the value, before any model runs', () => {
    for (const schema of [
      { $ref: '#' },
      { allOf: [{ $ref: '#' }] },
      { anyOf: [{ $ref: '#' }] },
      { not: { $ref: '#' } },
      { type: 'object', $ref: '#' },
    ]) {
      const failure = rejection(() => new ContractRegistry().inline(schema, 'schema'));
      expect(failure.status, JSON.stringify(schema)).toBe(400);
      expect(failure.message).toBe(
        'schema: leads back to itself through $refs without reaching into the value, ' +
          'so validation never ends',
      );
    }
  });

  it('refuses a loop that only a property reaches, naming where it starts', () => {
    const schema = {
      $defs: { a: { anyOf: [{ $ref: '#/$defs/b' }] }, b: { oneOf: [{ $ref: '#/$defs/a' }] } },
      type: 'object',
      properties: { x: { $ref: '#/$defs/a' } },
    };
    const failure = rejection(() => new ContractRegistry().inline(schema, 'schema'));
    expect(failure.status).toBe(400);
    expect(failure.message).toBe(
      'schema.$defs.a: leads back to itself through $refs without reaching into the value, ' +
        'so validation never ends',
    );
  });

  it('fails, not throws, a value that reaches a loop only some values reach', () => {
    // An absolute $ref is not followed by the static check; Ajv resolves it.
    const id = 'https://example.com/loop-by-id';
    const schema = {
      $id: id,
      type: 'object',
      properties: { a: { anyOf: [{ $ref: `${id}#/properties/a` }] } },
    };
    const contract = new ContractRegistry().inline(schema, 'schema');
    expect(contract.validate({ b: 1 })).toEqual([]);
    expect(contract.validate({ a: 1 })).toEqual([
      {
        path: '',
        message:
          'a $ref leads back to where it started without reaching into the value, so ' +
          'validation never ends',
      },
    ]);
  });
});

describe('ContractRegistry.inline and breadth', () => {
  it('refuses a combinator with more than 100 branches, naming its path', () => {
    const branches = Array.from({ length: 101 }, (_, i) => ({ const: i }));
    const failure = rejection(() =>
      new ContractRegistry().inline(
        { type: 'object', properties: { a: { oneOf: branches } } },
        'schema',
      ),
    );
    expect(failure.message).toBe('schema.properties.a.oneOf: has 101 entries; at most 100');
    expect(() =>
      new ContractRegistry().inline({ oneOf: branches.slice(0, 100) }, 'schema'),
    ).not.toThrow();
  });

  it('refuses $defs that double at each step, which a few subschemas can hide', () => {
    const chain = (levels: number) => {
      const defs: Record<string, unknown> = { d0: { type: 'string' } };
      for (let i = 1; i <= levels; i++) {
        const previous = { $ref: `#/$defs/d${i - 1}` };
        defs[`d${i}`] = { anyOf: [previous, previous] };
      }
      return { type: 'object', properties: { a: { $ref: `#/$defs/d${levels}` } }, $defs: defs };
    };
    const failure = rejection(() => new ContractRegistry().inline(chain(21), 'schema'));
    expect(failure.message).toBe(
      'schema: expands through its $refs to more than 10,000 subschemas',
    );
    // 2^10 leaves stay within the limit, and validate as they should.
    const contract = new ContractRegistry().inline(chain(10), 'schema');
    expect(contract.validate({ a: 'x' })).toEqual([]);
  });

  it('refuses more than 1,000 subschemas, naming the one that passes the limit', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 1_000 }, (_, i) => [`p${i}`, { type: 'string' }]),
    );
    const failure = rejection(() =>
      new ContractRegistry().inline({ type: 'object', properties }, 'schema'),
    );
    expect(failure.message).toBe('schema.properties.p999: takes the schema past 1,000 subschemas');
  });

  it('refuses more than 1,000 enum values across the schema, and more than 100,000 characters', () => {
    const values = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`);
    const failure = rejection(() =>
      new ContractRegistry().inline(
        {
          type: 'object',
          properties: { a: { enum: values(600, 'a') }, b: { enum: values(401, 'b') } },
        },
        'schema',
      ),
    );
    expect(failure.message).toBe(
      "schema.properties.b.enum: brings the schema's enum values past 1,000",
    );
    const long = rejection(() =>
      new ContractRegistry().inline({ description: 'x'.repeat(100_000) }, 'schema'),
    );
    expect(long.message).toBe('schema: is 100,018 characters of JSON; at most 100,000');
  });
});

describe('ContractRegistry.inline and $id', () => {
  const id = 'https://example.com/schemas/shared-id-test';
  const named = {
    $id: id,
    type: 'object',
    properties: { name: { type: 'string' } },
    required: ['name'],
  };
  const counted = {
    $id: id,
    type: 'object',
    properties: { count: { $ref: `${id}#/$defs/count` } },
    required: ['count'],
    $defs: { count: { type: 'integer' } },
  };

  it('lets two different schemas with the same $id each validate their own documents', () => {
    const registry = new ContractRegistry();
    const first = registry.inline(named, 'schema');
    const second = registry.inline(counted, 'schema');
    expect(first.validate({ name: 'x' })).toEqual([]);
    expect(second.validate({ count: 3 })).toEqual([]);
    expect(first.validate({ count: 3 })).toEqual([
      { path: '/name', message: "must have required property 'name'" },
    ]);
    expect(second.validate({ count: 'three' })).toEqual([
      { path: '/count', message: 'must be integer' },
    ]);
  });

  it('compiles the same $id schema again after it was evicted from the cache', () => {
    const registry = new ContractRegistry();
    registry.inline(named, 'schema');
    for (let n = 0; n < 256; n++) {
      registry.inline({ type: 'object', properties: { [`evict_${n}`]: {} } }, 'schema');
    }
    const again = registry.inline(JSON.parse(JSON.stringify(named)) as unknown, 'schema');
    expect(again.validate({ name: 'y' })).toEqual([]);
    expect(again.validate({})).toHaveLength(1);
  });

  it('lets two callers use the same nested $id for different things', () => {
    const registry = new ContractRegistry();
    const nestedId = 'https://example.com/schemas/nested-id-test';
    const asString = registry.inline(
      { $defs: { leaf: { $id: nestedId, type: 'string' } }, $ref: nestedId },
      'schema',
    );
    const asBoolean = registry.inline(
      { $defs: { leaf: { $id: nestedId, type: 'boolean' } }, $ref: nestedId, title: 'b' },
      'schema',
    );
    expect(asString.validate('text')).toEqual([]);
    expect(asString.validate(true)).toHaveLength(1);
    expect(asBoolean.validate(true)).toEqual([]);
    expect(asBoolean.validate('text')).toHaveLength(1);
  });
});
