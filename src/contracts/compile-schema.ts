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

let ajv: Ajv2020 | undefined;

function getAjv(): Ajv2020 {
  if (ajv) return ajv;
  // JSON Schema 2020-12 with formats in full mode: `date-time` must carry a
  // timezone, as RFC 3339 says, so naive timestamps from a model fail.
  ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  addFormats.default(ajv, { mode: 'full' });
  return ajv;
}

/** Compiles a schema once; throws with Ajv's message when it is not valid. */
export function compileSchema(name: string, schema: JsonSchema): CompiledContract {
  const compiled: ValidateFunction = getAjv().compile(schema);
  return {
    name,
    schema,
    strict: isStrictCompatible(schema),
    hasConfidence: declaresConfidence(schema),
    validate(value) {
      if (compiled(value)) return [];
      return (compiled.errors ?? []).map(toIssue);
    },
  };
}

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
