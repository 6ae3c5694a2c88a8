import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { JsonSchema } from '../providers/types.js';

/** One validation failure, as fed back to a model and to the client. */
export interface ValidationIssue {
  /** JSON pointer of the offending value; empty for the root. */
  path: string;
  message: string;
}

export interface CompiledContract {
  name: string;
  schema: JsonSchema;
  /** Whether OpenAI's strict structured-output mode can take this schema. */
  strict: boolean;
  /** Whether the schema declares a numeric `confidence` property. */
  hasConfidence: boolean;
  validate(value: unknown): ValidationIssue[];
}

/** A compiled inline schema, which its owner releases when it drops it from its cache. */
export interface InlineContract extends CompiledContract {
  /**
   * Marks the contract dropped from the cache. `validate` keeps working for
   * requests already holding it; its Ajv instance goes with the last of them.
   */
  release(): void;
}

let ajv: Ajv2020 | undefined;
/** Inline contracts compiled and not yet released. */
let liveInlineContracts = 0;

function newAjv(): Ajv2020 {
  // JSON Schema 2020-12 with formats in full mode: `date-time` must carry a
  // timezone, as RFC 3339 says, so naive timestamps from a model fail.
  const instance = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  addFormats.default(instance, { mode: 'full' });
  return instance;
}

function getAjv(): Ajv2020 {
  ajv ??= newAjv();
  return ajv;
}

/** Compiles a schema once; throws with Ajv's message when it is not valid. */
export function compileSchema(name: string, schema: JsonSchema): CompiledContract {
  return toContract(name, schema, probed(getAjv().compile(schema)));
}

/**
 * A `$ref` that leads back to where it started without reaching into the
 * value (`{"$ref": "#"}`, `{"anyOf": [{"$ref": "#"}]}`) compiles, then
 * recurses for ever on any value. Validating a few plain values at compile
 * time finds such a loop at the root, before a model is paid to answer;
 * `validate` still catches one that only some values reach.
 */
function probed(compiled: ValidateFunction): ValidateFunction {
  try {
    for (const value of [null, {}, [], '', 0, true]) compiled(value);
  } catch (error) {
    if (error instanceof RangeError) throw new Error(SELF_REFERENCE);
    throw error;
  }
  return compiled;
}

const SELF_REFERENCE =
  'a $ref leads back to where it started without reaching into the value, so validation never ends';

/**
 * Compiles a caller's inline schema in an Ajv instance of its own; throws
 * with Ajv's message when it is not valid. One instance per schema, because
 * Ajv keeps what compiling adds to an instance's code scope for as long as
 * the instance lives, even after `removeSchema`: in one shared instance,
 * 6,000 distinct 10 KB schemas held ~270 MB, memory any caller could grow.
 * It also keeps one caller's `$id`s from ever meeting another's, so the
 * schema can be registered in its instance as usual, which a recursive
 * schema (`"$ref": "#"`, a tree) needs. The cost is about 0.5 ms on an
 * inline-cache miss, next to the compilation itself.
 */
export function compileInlineSchema(name: string, schema: JsonSchema): InlineContract {
  const compiled = probed(newAjv().compile(schema));
  liveInlineContracts++;
  let released = false;
  return Object.assign({}, toContract(name, schema, compiled), {
    release() {
      if (released) return;
      released = true;
      liveInlineContracts--;
    },
  });
}

/** How many inline contracts are compiled and not released, for tests and diagnostics. */
export function inlineSchemaCount(): number {
  return liveInlineContracts;
}

function toContract(
  name: string,
  schema: JsonSchema,
  compiled: ValidateFunction,
): CompiledContract {
  return {
    name,
    schema,
    strict: isStrictCompatible(schema),
    hasConfidence: declaresConfidence(schema),
    validate(value) {
      try {
        if (compiled(value)) return [];
      } catch (error) {
        // The probe at compile time finds a loop at the root; one only this
        // value reaches fails the value, as any other invalid output does.
        if (error instanceof RangeError) return [{ path: '', message: SELF_REFERENCE }];
        throw error;
      }
      const errors = compiled.errors ?? [];
      const issues = errors.slice(0, MAX_ISSUES).map(toIssue);
      if (errors.length > MAX_ISSUES) {
        issues.push({ path: '', message: `and ${errors.length - MAX_ISSUES} more` });
      }
      return issues;
    },
  };
}

/**
 * Issues kept of one validation: enough to show a model what to fix, and a
 * bound on the 422 body and the re-ask prompt, which carry them all.
 */
export const MAX_ISSUES = 50;

function toIssue(error: ErrorObject): ValidationIssue {
  const path =
    error.keyword === 'required'
      ? `${error.instancePath}/${String(error.params.missingProperty)}`
      : error.instancePath;
  return { path, message: error.message ?? error.keyword };
}

const STRICT_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  '$ref',
  '$defs',
  'definitions',
  'description',
  'title',
  '$schema',
  '$id',
]);

/**
 * OpenAI's strict mode takes a subset of JSON Schema: every object closed
 * (`additionalProperties: false`) with all its properties required, and a
 * short list of keywords. A schema outside it is still sent as `json_schema`
 * but with `strict: false`, so the provider does not reject the request.
 */
export function isStrictCompatible(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const node = schema as Record<string, unknown>;
  for (const key of Object.keys(node)) if (!STRICT_KEYWORDS.has(key)) return false;
  if (node.type === 'object' || node.properties) {
    if (node.additionalProperties !== false) return false;
    const props = Object.keys((node.properties as Record<string, unknown>) ?? {});
    const required = Array.isArray(node.required) ? node.required : [];
    if (props.some((p) => !required.includes(p))) return false;
  }
  const children = [
    ...Object.values((node.properties as Record<string, unknown>) ?? {}),
    ...Object.values((node.$defs as Record<string, unknown>) ?? {}),
    ...Object.values((node.definitions as Record<string, unknown>) ?? {}),
    ...(Array.isArray(node.anyOf) ? node.anyOf : []),
    ...(node.items && typeof node.items === 'object' ? [node.items] : []),
  ];
  return children.every(isStrictCompatible);
}

function declaresConfidence(schema: JsonSchema): boolean {
  if (typeof schema !== 'object') return false;
  const props = schema.properties as Record<string, { type?: unknown }> | undefined;
  const type = props?.confidence?.type;
  return type === 'number' || (Array.isArray(type) && type.includes('number'));
}
