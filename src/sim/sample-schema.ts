import { unescapePointerToken } from '../util/json-pointer.js';
import {
  SAMPLE_LIMITS,
  numberKeyword,
  pickIndex,
  sampleNumber,
  sampleString,
  type SampleContext,
  type SamplePosition,
  type SchemaObject,
} from './sample-scalars.js';

/** Options of `sampleSchema`. */
export interface SampleSchemaOptions {
  /**
   * Text whose hash picks enum values and filler words, usually the prompt:
   * different prompts get different labels, the same prompt always the same.
   */
  seedText?: string;
  /** Write `date-time` and `time` values without a timezone (the naive_timestamp fault). */
  naiveDateTime?: boolean;
}

/** Deeper than this nothing is sampled (a value of `null`). */
const MAX_SAMPLE_DEPTH = 64;

/** Past this depth only required properties and `minItems` items are written. */
const MAX_DEPTH = 6;
/**
 * `$ref`s resolved while flattening one schema, counted over the whole
 * flattening (every branch of every `anyOf`), against reference cycles:
 * counted per path, `{"anyOf": [{"$ref": "#"}]}` doubled the work at each
 * hop and never finished.
 */
const MAX_REF_HOPS = 32;

/**
 * A deterministic value that validates against `schema`, standing in for a
 * model's structured output. Every declared property is filled, so strict
 * OpenAI schemas (all properties required) are met.
 *
 * Not understood: `not`, `if`/`then`/`else`, `contains`, `patternProperties`,
 * `dependentSchemas` and `$ref`s that are not local (`#/...`); schemas relying
 * on them may get a value that fails validation. For `oneOf` the first
 * workable branch is used even when the value also matches a later branch.
 */
export function sampleSchema(schema: unknown, options: SampleSchemaOptions = {}): unknown {
  const context: SampleContext = {
    root: schema,
    seedText: options.seedText ?? '',
    naiveDateTime: options.naiveDateTime ?? false,
    budget: { values: SAMPLE_LIMITS.maxValues, chars: SAMPLE_LIMITS.maxTotalChars },
  };
  return sampleValue(schema, context, { path: '', key: '', depth: 0, variant: 0 });
}

/**
 * The schema with its `$ref`, `allOf` and `anyOf`/`oneOf` resolved into one
 * plain object, as the sampler sees it. Used to find a schema's required
 * properties (the missing_field fault).
 */
export function flattenSchema(schema: unknown, root: unknown = schema): SchemaObject {
  return flatten({ schema, root, refs: { left: MAX_REF_HOPS } });
}

function sampleValue(schema: unknown, context: SampleContext, at: SamplePosition): unknown {
  if (!hasBudget(context)) return null; // cut short (see SAMPLE_LIMITS)
  // A schema that requires itself (`{"required": ["a"], "properties": {"a": {"$ref": "#"}}}`)
  // has no finite instance: give up deep down rather than overflow the stack.
  if (at.depth > MAX_SAMPLE_DEPTH) return null;
  context.budget.values--;
  if (schema === false) return null; // nothing validates against `false`
  const flat = flattenSchema(schema, context.root);
  if ('const' in flat) return flat.const;
  if (Array.isArray(flat.enum) && flat.enum.length > 0) {
    return flat.enum[pickIndex({ context, at, count: flat.enum.length })];
  }
  switch (pickType(flat)) {
    case 'object':
      return sampleObject(flat, context, at);
    case 'array':
      return sampleArray(flat, context, at);
    case 'integer':
      return sampleNumber({ schema: flat, at, integer: true });
    case 'number':
      return sampleNumber({ schema: flat, at, integer: false });
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return sampleString(flat, context, at);
  }
}

function sampleObject(schema: SchemaObject, context: SampleContext, at: SamplePosition) {
  const value: Record<string, unknown> = {};
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = stringArray(schema.required);
  const minimal = at.depth >= MAX_DEPTH;
  const child = (key: string): SamplePosition => ({
    path: `${at.path}/${key}`,
    key,
    depth: at.depth + 1,
    variant: at.variant,
  });

  for (const [key, propertySchema] of Object.entries(properties)) {
    if (!hasBudget(context)) break;
    if (minimal && !required.includes(key)) continue;
    setOwn(value, key, sampleValue(propertySchema, context, child(key)));
  }
  const extraSchema = schema.additionalProperties ?? true;
  for (const key of required) {
    if (!Object.hasOwn(value, key))
      setOwn(value, key, sampleValue(extraSchema, context, child(key)));
  }
  const minProperties = numberKeyword(schema, 'minProperties') ?? 0;
  // Capped (see SAMPLE_LIMITS): a larger minProperties gets an object that fails it.
  const wantedProperties = Math.min(
    minProperties,
    Object.keys(value).length + SAMPLE_LIMITS.maxItems,
  );
  for (
    let extra = 1;
    Object.keys(value).length < wantedProperties && extraSchema !== false && hasBudget(context);
    extra++
  ) {
    value[`extra_${extra}`] = sampleValue(extraSchema, context, child(`extra_${extra}`));
  }
  return value;
}

function sampleArray(schema: SchemaObject, context: SampleContext, at: SamplePosition) {
  // Draft-07 wrote tuples as `items: [...]` with `additionalItems`.
  const legacyTuple = Array.isArray(schema.items);
  const prefix: unknown[] = Array.isArray(schema.prefixItems)
    ? schema.prefixItems
    : legacyTuple
      ? (schema.items as unknown[])
      : [];
  const rest = legacyTuple ? (schema.additionalItems ?? true) : (schema.items ?? true);
  const minItems = numberKeyword(schema, 'minItems');
  const maxItems = numberKeyword(schema, 'maxItems') ?? Infinity;
  const wanted = at.depth >= MAX_DEPTH ? (minItems ?? 0) : Math.max(minItems ?? 1, prefix.length);
  // Capped (see SAMPLE_LIMITS): a larger minItems gets an array that fails it.
  const length = Math.min(
    wanted,
    maxItems,
    rest === false ? prefix.length : Infinity,
    SAMPLE_LIMITS.maxItems,
  );

  const items: unknown[] = [];
  for (let index = 0; index < length && hasBudget(context); index++) {
    const itemSchema = index < prefix.length ? prefix[index] : rest;
    const path = index < prefix.length ? `${at.path}/${index}` : `${at.path}/[]`;
    const position = { path, key: '', depth: at.depth + 1, variant: at.variant + index };
    items.push(sampleValue(itemSchema, context, position));
  }
  return items;
}

/** Whether the sample may still grow; once spent, arrays and objects stop early. */
function hasBudget(context: SampleContext): boolean {
  return context.budget.values > 0 && context.budget.chars > 0;
}

/** The type to write: the declared one (first non-null of a list), else inferred from keywords. */
function pickType(schema: SchemaObject): string {
  const declared = schema.type;
  if (typeof declared === 'string') return declared;
  if (Array.isArray(declared)) {
    const types = declared.filter((type): type is string => typeof type === 'string');
    return types.find((type) => type !== 'null') ?? types[0] ?? 'string';
  }
  const has = (...keys: string[]) => keys.some((key) => key in schema);
  if (has('properties', 'required', 'additionalProperties', 'minProperties')) return 'object';
  if (has('items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems')) return 'array';
  if (has('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf')) {
    return 'number';
  }
  return 'string';
}

function flatten(options: {
  schema: unknown;
  root: unknown;
  refs: { left: number };
}): SchemaObject {
  const { root, refs } = options;
  if (!isRecord(options.schema)) return {};
  let schema: SchemaObject = options.schema;

  while (typeof schema.$ref === 'string' && refs.left > 0) {
    const { $ref, ...siblings } = schema;
    const target = resolvePointer(root, $ref);
    refs.left--;
    schema = mergeSchemas(isRecord(target) ? target : {}, siblings);
  }
  if (Array.isArray(schema.allOf)) {
    const { allOf, ...rest } = schema;
    schema = allOf.reduce<SchemaObject>(
      (merged, part) => mergeSchemas(merged, flatten({ schema: part, root, refs })),
      flatten({ schema: rest, root, refs }),
    );
  }
  const branches = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(branches)) {
    const { anyOf: _anyOf, oneOf: _oneOf, ...rest } = schema;
    const branch = pickBranch(branches.map((part) => flatten({ schema: part, root, refs })));
    schema = flatten({ schema: mergeSchemas(rest, branch), root, refs });
  }
  return schema;
}

/** The first branch that can hold a value, preferring one that is more than `null`. */
function pickBranch(branches: SchemaObject[]): SchemaObject {
  const workable = branches.filter((branch) => !Array.isArray(branch.enum) || branch.enum.length);
  const informative = workable.find((branch) => branch.type !== 'null');
  return informative ?? workable[0] ?? {};
}

/** Looks up a local reference such as `#/$defs/Item` or `#/definitions/Item`. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined; // remote and `$id`-based refs are not resolved
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer === '') return root;
  // `#name` is a plain-name fragment: the subschema whose `$anchor` is `name`.
  if (!pointer.startsWith('/')) return findAnchor(root, pointer, 0);
  let node: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = unescapePointerToken(raw);
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isRecord(node)) node = node[key];
    else return undefined;
  }
  return node;
}

/** The subschema of `node` whose `$anchor` is `name`, searched at most 64 levels deep. */
function findAnchor(node: unknown, name: string, depth: number): unknown {
  if (!isRecord(node) && !Array.isArray(node)) return undefined;
  if (isRecord(node) && node.$anchor === name) return node;
  if (depth >= 64) return undefined;
  for (const child of Object.values(node)) {
    const found = findAnchor(child, name, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

const LOWER_BOUNDS = new Set([
  'minimum',
  'exclusiveMinimum',
  'minLength',
  'minItems',
  'minProperties',
]);
const UPPER_BOUNDS = new Set([
  'maximum',
  'exclusiveMaximum',
  'maxLength',
  'maxItems',
  'maxProperties',
]);

/** Combines two schemas as `allOf` requires both to hold, for the keywords that matter here. */
function mergeSchemas(base: SchemaObject, extra: SchemaObject): SchemaObject {
  const merged: SchemaObject = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const previous = merged[key];
    if (previous === undefined) merged[key] = value;
    else if (key === 'properties' && isRecord(previous) && isRecord(value)) {
      merged[key] = mergeProperties(previous, value);
    } else if (key === 'required') {
      merged[key] = [...new Set([...stringArray(previous), ...stringArray(value)])];
    } else if (key === 'type') merged[key] = intersectTypes(previous, value);
    else if (key === 'enum' && Array.isArray(previous) && Array.isArray(value)) {
      const allowed = new Set(value.map((item) => JSON.stringify(item)));
      merged[key] = previous.filter((item) => allowed.has(JSON.stringify(item)));
    } else if (typeof previous === 'number' && typeof value === 'number') {
      if (LOWER_BOUNDS.has(key)) merged[key] = Math.max(previous, value);
      else if (UPPER_BOUNDS.has(key)) merged[key] = Math.min(previous, value);
      else merged[key] = value;
    } else merged[key] = value;
  }
  return merged;
}

function mergeProperties(base: SchemaObject, extra: SchemaObject): SchemaObject {
  const merged: SchemaObject = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    merged[key] = key in merged ? { allOf: [merged[key], value] } : value;
  }
  return merged;
}

function intersectTypes(base: unknown, extra: unknown): unknown {
  const list = (value: unknown) => (Array.isArray(value) ? value : [value]);
  const extraTypes = list(extra);
  // integer is a subtype of number, so number ∩ integer is integer.
  const common = list(base).flatMap((type) => {
    if (extraTypes.includes(type)) return [type];
    if (type === 'number' && extraTypes.includes('integer')) return ['integer'];
    if (type === 'integer' && extraTypes.includes('number')) return ['integer'];
    return [];
  });
  return common.length === 0 ? extra : common;
}

/** Defines an own property, so that a property named `__proto__` stays a plain property. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item) => typeof item === 'string') : [];
}
