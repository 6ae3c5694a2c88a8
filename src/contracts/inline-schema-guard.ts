import { invalidRequest } from '../errors/gateway-error.js';
import { patternRisk } from './pattern-risk.js';
import { nestsDeeperThan } from '../util/json-depth.js';

/** Deepest nesting of objects and arrays an inline schema may have. */
export const MAX_INLINE_SCHEMA_DEPTH = 64;

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
 * compiler's stack), and a 400 naming the exact keyword path when a `pattern`
 * or `patternProperties` key could backtrack for exponential time or is
 * longer than 1,000 characters. Named contracts are the operator's and are
 * not checked.
 */
export function guardInlineSchema(schema: unknown, field: string): void {
  if (nestsDeeperThan(schema, MAX_INLINE_SCHEMA_DEPTH)) {
    throw invalidRequest(field, `nests deeper than ${MAX_INLINE_SCHEMA_DEPTH} levels`);
  }
  checkPatterns(schema, field);
}

function checkPatterns(schema: unknown, path: string): void {
  if (!isRecord(schema)) return;
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
  for (const keyword of SCHEMA_KEYWORDS) checkPatterns(schema[keyword], `${path}.${keyword}`);
  for (const keyword of SCHEMA_LIST_KEYWORDS) {
    const list = schema[keyword];
    if (Array.isArray(list))
      list.forEach((sub, i) => checkPatterns(sub, `${path}.${keyword}.${i}`));
  }
  for (const keyword of SCHEMA_MAP_KEYWORDS) {
    const map = schema[keyword];
    if (!isRecord(map)) continue;
    for (const [key, sub] of Object.entries(map)) checkPatterns(sub, `${path}.${keyword}.${key}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
