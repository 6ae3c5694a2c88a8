import { invalidRequest } from '../errors/gateway-error.js';
import { patternRisk } from './pattern-risk.js';
import { nestsDeeperThan } from '../util/json-depth.js';

/** Deepest nesting of objects and arrays an inline schema may have. */
export const MAX_INLINE_SCHEMA_DEPTH = 64;

/**
 * Breadth limits, after OpenAI's own for structured outputs (1,000 enum
 * values, 120,000 characters of names and values): a schema any provider
 * takes passes. Ajv's compile time grows with the square of a combinator's
 * branches (2,000 `oneOf` branches held the event loop for 14 s) and its
 * memory with enum values (a 70,000-value enum kept 4 MB), so both are
 * bounded, and the whole schema's size with them.
 */
export const MAX_INLINE_SCHEMA_CHARS = 100_000;
export const MAX_SCHEMA_BRANCHES = 100;
export const MAX_ENUM_VALUES = 1_000;
/** Subschemas in all; Ajv compiles 1,000 in about 0.1 s on the event loop. */
export const MAX_SUBSCHEMAS = 1_000;

const SCHEMA_KEYWORDS = [
  'items',
  'additionalItems',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'contentSchema',
];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];
const SCHEMA_MAP_KEYWORDS = [
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
  'dependencies',
];

/**
 * Checks a caller's inline schema before it is compiled: throws a 400 naming
 * `field` when it nests deeper than 64 levels (which would overflow the
 * compiler's stack) or is longer than 100,000 characters, and a 400 naming
 * the exact keyword path when a combinator has more than 100 branches, the
 * subschemas pass 1,000 or the enum values 1,000, or a `pattern` or `patternProperties` key could
 * backtrack for exponential time or is longer than 1,000 characters. Named
 * contracts are the operator's and are not checked.
 */
export function guardInlineSchema(schema: unknown, field: string): void {
  if (nestsDeeperThan(schema, MAX_INLINE_SCHEMA_DEPTH)) {
    throw invalidRequest(field, `nests deeper than ${MAX_INLINE_SCHEMA_DEPTH} levels`);
  }
  const chars = JSON.stringify(schema).length;
  if (chars > MAX_INLINE_SCHEMA_CHARS) {
    throw invalidRequest(
      field,
      `is ${grouped(chars)} characters of JSON; at most ` + `${grouped(MAX_INLINE_SCHEMA_CHARS)}`,
    );
  }
  checkPatterns(schema, field, { enumValues: 0, subschemas: 0 });
}

interface Tally {
  enumValues: number;
  subschemas: number;
}

function checkPatterns(schema: unknown, path: string, tally: Tally): void {
  if (!isRecord(schema)) return;
  if (++tally.subschemas > MAX_SUBSCHEMAS) {
    throw invalidRequest(path, `takes the schema past ${grouped(MAX_SUBSCHEMAS)} subschemas`);
  }
  if (Array.isArray(schema.enum)) {
    tally.enumValues += schema.enum.length;
    if (tally.enumValues > MAX_ENUM_VALUES) {
      throw invalidRequest(
        `${path}.enum`,
        `brings the schema's enum values past ${grouped(MAX_ENUM_VALUES)}`,
      );
    }
  }
  for (const keyword of ['allOf', 'anyOf', 'oneOf', 'prefixItems']) {
    const list = schema[keyword];
    if (Array.isArray(list) && list.length > MAX_SCHEMA_BRANCHES) {
      throw invalidRequest(
        `${path}.${keyword}`,
        `has ${list.length} entries; at most ${MAX_SCHEMA_BRANCHES}`,
      );
    }
  }
  if (typeof schema.pattern === 'string') {
    const risk = patternRisk(schema.pattern);
    if (risk) throw invalidRequest(`${path}.pattern`, risk);
  }
  if (isRecord(schema.patternProperties)) {
    for (const key of Object.keys(schema.patternProperties)) {
      const risk = patternRisk(key);
      if (risk)
        throw invalidRequest(`${path}.patternProperties`, `key ${JSON.stringify(key)}: ${risk}`);
    }
  }
  for (const keyword of SCHEMA_KEYWORDS) {
    checkPatterns(schema[keyword], `${path}.${keyword}`, tally);
  }
  for (const keyword of SCHEMA_LIST_KEYWORDS) {
    const list = schema[keyword];
    if (Array.isArray(list))
      list.forEach((sub, i) => checkPatterns(sub, `${path}.${keyword}.${i}`, tally));
  }
  for (const keyword of SCHEMA_MAP_KEYWORDS) {
    const map = schema[keyword];
    if (!isRecord(map)) continue;
    for (const [key, sub] of Object.entries(map)) {
      checkPatterns(sub, `${path}.${keyword}.${key}`, tally);
    }
  }
}

/** 100000 → "100,000", without Intl (whose data costs memory on first use). */
function grouped(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+$)/g, ',');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
