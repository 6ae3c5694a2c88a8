import { Ajv, type ErrorObject } from 'ajv';
import { unescapePointerToken } from '../util/json-pointer.js';
import { ConfigError } from './config-error.js';
import { CONFIG_SCHEMA } from './config-schema.js';

let validateShape: ReturnType<Ajv['compile']> | undefined;

/** Throws a ConfigError naming the key path unless `raw` fits CONFIG_SCHEMA. */
export function checkShape(raw: unknown): void {
  // Coercion lets `port: ${PORT:-8080}` work: expansion always yields a string.
  validateShape ??= new Ajv({ allErrors: false, strict: false, coerceTypes: true }).compile(
    CONFIG_SCHEMA,
  );
  if (validateShape(raw)) return;
  const error = validateShape.errors?.[0];
  if (!error) throw new ConfigError('', 'invalid configuration');
  throw new ConfigError(keyPath(error), describe(error));
}

/** `/tiers/cheap/0/provider` → `tiers.cheap[0].provider`. */
export function keyPath(error: ErrorObject): string {
  const segments = error.instancePath.split('/').slice(1).map(unescapePointerToken);
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') {
    segments.push(String(error.params.additionalProperty));
  }
  let path = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path ? `.${segment}` : segment;
  }
  return path || '(root)';
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known setting';
  if (error.keyword === 'enum') {
    return `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  }
  return error.message ?? 'is invalid';
}
