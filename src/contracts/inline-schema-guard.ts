import { invalidRequest } from '../errors/gateway-error.js';
import { patternRisk } from './pattern-risk.js';
import { nestsDeeperThan } from '../util/json-depth.js';
import { unescapePointerToken } from '../util/json-pointer.js';

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
/** Subschemas one validation may visit, `$ref`s followed (see `expandedSubschemas`). */
export const MAX_EXPANDED_SUBSCHEMAS = 10_000;

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
 * The first checks of a caller's inline schema, made on every request since
 * they come before the cache: a 400 naming `field` when it nests deeper than
 * 64 levels (which would overflow the compiler's stack) or is longer than
 * 100,000 characters. Returns its JSON text, which keys the cache.
 */
export function inlineSchemaText(schema: unknown, field: string): string {
  if (nestsDeeperThan(schema, MAX_INLINE_SCHEMA_DEPTH)) {
    throw invalidRequest(field, `nests deeper than ${MAX_INLINE_SCHEMA_DEPTH} levels`);
  }
  const text = JSON.stringify(schema);
  if (text.length > MAX_INLINE_SCHEMA_CHARS) {
    throw invalidRequest(
      field,
      `is ${grouped(text.length)} characters of JSON; at most ${grouped(MAX_INLINE_SCHEMA_CHARS)}`,
    );
  }
  return text;
}

/**
 * The rest, made once per distinct schema before it is compiled: a 400
 * naming the exact keyword path when a combinator has more than 100
 * branches, the subschemas pass 1,000 (10,000 with `$ref`s followed) or the
 * enum values 1,000, a `$ref` loop never reaches into the value, or a
 * `pattern` or `patternProperties` key could backtrack for exponential time
 * or is longer than 1,000 characters. Named contracts are the operator's and
 * are not checked.
 */
export function guardInlineSchema(schema: unknown, field: string): void {
  checkPatterns(schema, field, { enumValues: 0, subschemas: 0 });
  const anchors = new Map<string, unknown>();
  collectAnchors(schema, anchors);
  const loop = refLoopPath(schema, field, anchors);
  if (loop) {
    throw invalidRequest(
      loop,
      'leads back to itself through $refs without reaching into the value, so validation never ends',
    );
  }
  if (expandedSubschemas(schema, anchors, MAX_EXPANDED_SUBSCHEMAS) > MAX_EXPANDED_SUBSCHEMAS) {
    throw invalidRequest(
      field,
      `expands through its $refs to more than ${grouped(MAX_EXPANDED_SUBSCHEMAS)} subschemas`,
    );
  }
}

/** The subschemas directly under `schema`, each with its keyword path. */
function subschemasOf(schema: Record<string, unknown>): Array<[string, unknown]> {
  const found: Array<[string, unknown]> = [];
  for (const keyword of SCHEMA_KEYWORDS) {
    if (isRecord(schema[keyword])) found.push([keyword, schema[keyword]]);
  }
  for (const keyword of SCHEMA_LIST_KEYWORDS) {
    const list = schema[keyword];
    if (Array.isArray(list)) list.forEach((sub, i) => found.push([`${keyword}.${i}`, sub]));
  }
  for (const keyword of SCHEMA_MAP_KEYWORDS) {
    const map = schema[keyword];
    if (!isRecord(map)) continue;
    for (const [key, sub] of Object.entries(map)) found.push([`${keyword}.${key}`, sub]);
  }
  return found;
}

/**
 * How many subschemas validating one value may visit, each `$ref` counted as
 * the schema it points to (local ones: `#`, `#/json/pointer`, `#anchor`),
 * stopping past `limit`. A schema of 63 subschemas whose `$defs` each hold
 * two `$ref`s to the one before makes Ajv visit two million and collect as
 * many errors (1.5 GB for one request). A `$ref` back to a schema it is
 * inside counts once: that recursion descends into the value, so the
 * value's size bounds it.
 */
function expandedSubschemas(root: unknown, anchors: Map<string, unknown>, limit: number): number {
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  const visit = (node: unknown): number => {
    if (!isRecord(node)) return 0;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (open.has(node)) return 1;
    open.add(node);
    let total = 1;
    // Definitions are visited only through the $refs that use them.
    const targets = subschemasOf(node)
      .filter(([suffix]) => !/^(\$defs|definitions)\./.test(suffix))
      .map(([, sub]) => sub);
    if (typeof node.$ref === 'string') targets.push(resolveLocalRef(root, node.$ref, anchors));
    for (const target of targets) {
      total += visit(target);
      if (total > limit) break;
    }
    open.delete(node);
    sizes.set(node, total);
    return total;
  };
  return visit(root);
}

/** Keywords whose subschemas apply to the same value, not to a part of it. */
const IN_PLACE_LISTS = ['allOf', 'anyOf', 'oneOf'];
const IN_PLACE_ONE = ['not', 'if', 'then', 'else'];

/**
 * The path of a subschema that reaches itself again through `$ref`s and
 * in-place keywords only (`allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/
 * `else`), never descending into a property or item: validating any value
 * that reaches it recurses without end. Undefined when there is none.
 */
function refLoopPath(
  root: unknown,
  field: string,
  anchors: Map<string, unknown>,
): string | undefined {
  const paths = new Map<object, string>();
  const index = (node: unknown, path: string): void => {
    if (!isRecord(node) || paths.has(node)) return;
    paths.set(node, path);
    for (const [suffix, sub] of subschemasOf(node)) index(sub, `${path}.${suffix}`);
  };
  index(root, field);
  const inPlace = (node: Record<string, unknown>): unknown[] => {
    const next: unknown[] = [];
    for (const keyword of IN_PLACE_LISTS) {
      const list = node[keyword];
      if (Array.isArray(list)) next.push(...list);
    }
    for (const keyword of IN_PLACE_ONE) next.push(node[keyword]);
    if (typeof node.$ref === 'string') next.push(resolveLocalRef(root, node.$ref, anchors));
    return next.filter(isRecord);
  };
  const done = new Set<object>();
  const open = new Set<object>();
  const visit = (node: Record<string, unknown>): Record<string, unknown> | undefined => {
    if (open.has(node)) return node;
    if (done.has(node)) return undefined;
    open.add(node);
    for (const next of inPlace(node)) {
      const looped = visit(next as Record<string, unknown>);
      if (looped) return looped;
    }
    open.delete(node);
    done.add(node);
    return undefined;
  };
  for (const node of paths.keys()) {
    const looped = visit(node as Record<string, unknown>);
    if (looped) return paths.get(looped);
  }
  return undefined;
}

function collectAnchors(node: unknown, anchors: Map<string, unknown>): void {
  if (!isRecord(node)) return;
  if (typeof node.$anchor === 'string') anchors.set(node.$anchor, node);
  for (const [, sub] of subschemasOf(node)) collectAnchors(sub, anchors);
}

function resolveLocalRef(root: unknown, ref: string, anchors: Map<string, unknown>): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return ref.startsWith('#') ? anchors.get(ref.slice(1)) : undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    let token: string;
    try {
      token = unescapePointerToken(decodeURIComponent(raw));
    } catch {
      return undefined;
    }
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
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
  for (const [suffix, sub] of subschemasOf(schema)) checkPatterns(sub, `${path}.${suffix}`, tally);
}

/** 100000 → "100,000", without Intl (whose data costs memory on first use). */
function grouped(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+$)/g, ',');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
