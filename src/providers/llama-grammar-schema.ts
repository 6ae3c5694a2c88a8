import type { JsonSchema } from './types.js';

/** The most values a bounded number is spelled out as; past that it is left alone. */
const MAX_GRID_VALUES = 201;

// The keywords holding subschemas that the grammar generator reads.
const SUBSCHEMA_KEYS = ['items', 'additionalProperties'];
const SUBSCHEMA_LIST_KEYS = ['prefixItems', 'oneOf', 'anyOf'];
const SUBSCHEMA_MAP_KEYS = ['properties', '$defs'];

type SchemaObject = Record<string, unknown>;

/**
 * The schema as node-llama-cpp's grammar generator should see it, so that
 * more of what the grammar lets through also passes the contract:
 *
 * - A number or integer bounded on both sides (`minimum` / `exclusiveMinimum`
 *   and `maximum` / `exclusiveMaximum`) becomes an `enum` of the values on a
 *   grid within the bounds: its `multipleOf`, else 1 for integers, else the
 *   power of ten that gives at most 201 values (0.01 for 0 to 1, 0.1 for 0
 *   to 10). The generator ignores numeric bounds, so without this a
 *   confidence between 0 and 1 could be decoded as 7373. A local model can
 *   then only answer on that grid, which is the price of an answer that
 *   validates. A range that would need more than 201 values, or a grid
 *   coarser than 1 for a number (a span over 200), is left as it is, and
 *   the answer may then fail validation.
 * - `anyOf` becomes `oneOf`, which the generator reads as a choice between
 *   alternatives (it would otherwise decode an `anyOf` as `null`); decoding
 *   one alternative satisfies both keywords.
 *
 * Everything else is copied as it is; the input is not changed.
 */
export function toGrammarSchema(schema: SchemaObject): SchemaObject;
export function toGrammarSchema(schema: JsonSchema): JsonSchema;
export function toGrammarSchema(schema: JsonSchema): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  const grid = boundedNumberGrid(schema);
  if (grid) {
    return typeof schema.description === 'string'
      ? { enum: grid, description: schema.description }
      : { enum: grid };
  }
  const result: SchemaObject = {};
  for (const [key, value] of Object.entries(schema)) result[key] = rewriteKeyword(key, value);
  if (Array.isArray(result.anyOf) && result.oneOf === undefined) {
    result.oneOf = result.anyOf;
    delete result.anyOf;
  }
  return result;
}

function rewriteKeyword(key: string, value: unknown): unknown {
  if (SUBSCHEMA_KEYS.includes(key) && isSchema(value)) return toGrammarSchema(value);
  if (SUBSCHEMA_LIST_KEYS.includes(key) && Array.isArray(value)) {
    return value.map((item: unknown) => (isSchema(item) ? toGrammarSchema(item) : item));
  }
  if (SUBSCHEMA_MAP_KEYS.includes(key) && isObject(value)) {
    const mapped: SchemaObject = {};
    for (const [name, item] of Object.entries(value)) {
      mapped[name] = isSchema(item) ? toGrammarSchema(item) : item;
    }
    return mapped;
  }
  return value;
}

/**
 * The values of a number or integer schema bounded on both sides, on its
 * grid; undefined when the schema is anything else, has no value at all, or
 * would need more than `MAX_GRID_VALUES` values.
 */
export function boundedNumberGrid(schema: SchemaObject): number[] | undefined {
  const { type } = schema;
  if (type !== 'number' && type !== 'integer') return undefined;
  // An enum or const already names the values; the generator handles them.
  if ('enum' in schema || 'const' in schema) return undefined;
  const bounds = numericBounds(schema);
  if (!bounds) return undefined;

  const step = gridStep({ schema, integer: type === 'integer', bounds });
  if (step === undefined) return undefined;
  const first = Math.ceil(bounds.lower / step);
  const last = Math.floor(bounds.upper / step);
  if (last - first + 1 > MAX_GRID_VALUES || last < first) return undefined;

  const decimals = decimalsOf(step);
  const values: number[] = [];
  for (let k = first; k <= last; k++) {
    // Rounded to the step's decimals: 0.07 rather than 0.07000000000000001.
    const value = Number((k * step).toFixed(decimals));
    if (bounds.admits(value)) values.push(value);
  }
  return values.length > 0 ? values : undefined;
}

interface NumericBounds {
  lower: number;
  upper: number;
  /** The exact check, exclusive bounds included. */
  admits(value: number): boolean;
}

function numericBounds(schema: SchemaObject): NumericBounds | undefined {
  // Draft-04's boolean exclusive bounds are not this dialect; leave them to Ajv.
  if (typeof schema.exclusiveMinimum === 'boolean') return undefined;
  if (typeof schema.exclusiveMaximum === 'boolean') return undefined;
  const minimum = finite(schema.minimum);
  const exclusiveMinimum = finite(schema.exclusiveMinimum);
  const maximum = finite(schema.maximum);
  const exclusiveMaximum = finite(schema.exclusiveMaximum);
  const lower = Math.max(minimum ?? -Infinity, exclusiveMinimum ?? -Infinity);
  const upper = Math.min(maximum ?? Infinity, exclusiveMaximum ?? Infinity);
  if (!Number.isFinite(lower) || !Number.isFinite(upper)) return undefined;
  return {
    lower,
    upper,
    admits: (value) =>
      (minimum === undefined || value >= minimum) &&
      (exclusiveMinimum === undefined || value > exclusiveMinimum) &&
      (maximum === undefined || value <= maximum) &&
      (exclusiveMaximum === undefined || value < exclusiveMaximum),
  };
}

function gridStep(options: {
  schema: SchemaObject;
  integer: boolean;
  bounds: NumericBounds;
}): number | undefined {
  const multipleOf = finite(options.schema.multipleOf);
  if (multipleOf !== undefined) {
    if (multipleOf <= 0) return undefined;
    // An integer that must also be a multiple of 0.5 is any integer; other
    // mixes are rare enough to leave to validation.
    if (options.integer && !Number.isInteger(multipleOf)) return undefined;
    return multipleOf;
  }
  if (options.integer) return 1;
  const span = options.bounds.upper - options.bounds.lower;
  if (span === 0) return 1;
  const step = 10 ** Math.ceil(Math.log10(span / (MAX_GRID_VALUES - 1)));
  // Multiples of 10 or 100 would be an answer too coarse to be worth having.
  return step <= 1 ? step : undefined;
}

/** Decimal places of a step such as 0.25 (2) or 1e-7 (7). */
function decimalsOf(step: number): number {
  const [mantissa = '', exponent] = String(step).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'boolean' || isObject(value);
}
