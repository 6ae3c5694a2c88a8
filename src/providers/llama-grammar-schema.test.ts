import { describe, expect, it } from 'vitest';
import { compileSchema } from '../contracts/compile-schema.js';
import { boundedNumberGrid, toGrammarSchema } from './llama-grammar-schema.js';

/** Every value of the grid passes the schema it came from, checked by Ajv. */
function expectAllValid(schema: Record<string, unknown>, values: readonly number[]): void {
  const contract = compileSchema('grid', schema);
  for (const value of values) expect([value, contract.validate(value)]).toEqual([value, []]);
}

describe('boundedNumberGrid', () => {
  it('spells a confidence between 0 and 1 as the 101 values 0, 0.01, …, 1', () => {
    const schema = { type: 'number', minimum: 0, maximum: 1 };

    const grid = boundedNumberGrid(schema)!;

    expect(grid).toHaveLength(101);
    expect(grid.slice(0, 4)).toEqual([0, 0.01, 0.02, 0.03]);
    expect(grid).toContain(0.07);
    expect(grid).toContain(0.29);
    expect(grid.at(-1)).toBe(1);
    expectAllValid(schema, grid);
  });

  it('leaves out the bounds that are exclusive', () => {
    const schema = { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 };

    const grid = boundedNumberGrid(schema)!;

    expect(grid).toHaveLength(99);
    expect([grid[0], grid.at(-1)]).toEqual([0.01, 0.99]);
    expectAllValid(schema, grid);
  });

  it('uses multipleOf as the step when there is one', () => {
    expect(boundedNumberGrid({ type: 'number', minimum: 0, maximum: 1, multipleOf: 0.25 })).toEqual(
      [0, 0.25, 0.5, 0.75, 1],
    );
  });

  it('lists every integer of a small integer range, minimum not on the step', () => {
    const schema = { type: 'integer', minimum: 0.5, maximum: 5 };

    expect(boundedNumberGrid(schema)).toEqual([1, 2, 3, 4, 5]);
  });

  it('chooses a step of 0.1 for a number between -5 and 5', () => {
    const schema = { type: 'number', minimum: -5, maximum: 5 };

    const grid = boundedNumberGrid(schema)!;

    expect(grid).toHaveLength(101);
    expect([grid[0], grid[1], grid[50], grid.at(-1)]).toEqual([-5, -4.9, 0, 5]);
    expectAllValid(schema, grid);
  });

  it('leaves alone what it cannot spell out usefully', () => {
    // One-sided, too many integers, too coarse a grid, already enumerated.
    expect(boundedNumberGrid({ type: 'number', minimum: 0 })).toBeUndefined();
    expect(boundedNumberGrid({ type: 'integer', minimum: 0, maximum: 1000 })).toBeUndefined();
    expect(boundedNumberGrid({ type: 'number', minimum: 0, maximum: 10_000 })).toBeUndefined();
    expect(
      boundedNumberGrid({ type: 'number', minimum: 0, maximum: 1, enum: [0] }),
    ).toBeUndefined();
    expect(boundedNumberGrid({ type: ['number', 'null'], minimum: 0, maximum: 1 })).toBeUndefined();
    // No value at all between the bounds: Ajv will say so, not the grammar.
    expect(boundedNumberGrid({ type: 'integer', minimum: 0.2, maximum: 0.8 })).toBeUndefined();
  });
});

describe('toGrammarSchema', () => {
  it('rewrites bounded numbers wherever the generator looks, and nothing else', () => {
    const confidence = { type: 'number', minimum: 0, maximum: 1, description: 'how sure' };
    const schema = {
      type: 'object',
      required: ['confidence'],
      properties: {
        confidence,
        label: { type: 'string', enum: ['a', 'b'] },
        scores: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 3 } },
        pair: { type: 'array', prefixItems: [{ $ref: '#/$defs/stars' }] },
      },
      $defs: { stars: { type: 'integer', minimum: 1, maximum: 5 } },
    };

    const rewritten = toGrammarSchema(schema);

    expect(rewritten).toEqual({
      type: 'object',
      required: ['confidence'],
      properties: {
        confidence: { enum: boundedNumberGrid(confidence), description: 'how sure' },
        label: { type: 'string', enum: ['a', 'b'] },
        scores: { type: 'array', items: { enum: [1, 2, 3] } },
        pair: { type: 'array', prefixItems: [{ $ref: '#/$defs/stars' }] },
      },
      $defs: { stars: { enum: [1, 2, 3, 4, 5] } },
    });
    // The contract itself is left as it was.
    expect(schema.properties.confidence).toBe(confidence);
    expect(confidence).toEqual({ type: 'number', minimum: 0, maximum: 1, description: 'how sure' });
  });

  it('turns anyOf into oneOf, which the generator reads as a choice', () => {
    const schema = { anyOf: [{ type: 'string', maxLength: 3 }, { type: 'null' }] };

    expect(toGrammarSchema(schema)).toEqual({
      oneOf: [{ type: 'string', maxLength: 3 }, { type: 'null' }],
    });
  });

  it('keeps boolean schemas as they are', () => {
    expect(toGrammarSchema(true)).toBe(true);
    expect(toGrammarSchema({ type: 'object', additionalProperties: false })).toEqual({
      type: 'object',
      additionalProperties: false,
    });
  });
});
