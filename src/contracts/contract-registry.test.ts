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
      'schema: is not a valid JSON Schema: its $refs refer to each other in a loop that never reaches a value',
    );
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
