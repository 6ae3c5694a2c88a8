import { hashString } from './prng.js';
import { samplePattern } from './sample-pattern.js';

/** A schema object as the sampler reads it. */
export type SchemaObject = Record<string, unknown>;

/** Where in the document a value is being written, and how to vary it. */
export interface SamplePosition {
  /** JSON-pointer-like path, with `[]` for array items so siblings share it. */
  path: string;
  /** The property name holding the value, '' at the root and in arrays. */
  key: string;
  /** Nesting depth, to stop recursive schemas. */
  depth: number;
  /** Differs between items of one array so that `uniqueItems` holds. */
  variant: number;
}

/** Request-wide inputs of the sampler. */
export interface SampleContext {
  root: unknown;
  /** The text (usually the prompt) whose hash picks labels and words. */
  seedText: string;
  /** Write date-times and times without a timezone offset. */
  naiveDateTime: boolean;
  /** What the whole sample may still spend; see `SAMPLE_LIMITS`. */
  budget: { values: number; chars: number };
}

/**
 * Caps on what the simulator writes, so that a schema asking for
 * `minItems: 100000000` or `minLength: 1000000` cannot exhaust the heap or
 * the CPU of the process it runs in (the gateway itself, in demo mode). When
 * a schema demands more than these, the sample is cut short and fails the
 * schema, and the gateway answers 422 as it would for a real model.
 */
export const SAMPLE_LIMITS = {
  /** Items of one array, and extra properties of one object. */
  maxItems: 1000,
  /** Characters of one string. */
  maxStringLength: 10_000,
  /** Values (of any type) in the whole sample. */
  maxValues: 100_000,
  /** String characters in the whole sample. */
  maxTotalChars: 1_000_000,
} as const;

const WORDS = ['amber', 'birch', 'cedar', 'delta', 'ember', 'fjord', 'grove', 'harbor'];

/** A stable index into `count` choices for this prompt and position. */
export function pickIndex(options: { context: SampleContext; at: SamplePosition; count: number }) {
  const { context, at, count } = options;
  return (hashString(`${context.seedText}|${at.path}`) + at.variant) % count;
}

/** A string satisfying format, pattern and length keywords where it can. */
export function sampleString(schema: SchemaObject, context: SampleContext, at: SamplePosition) {
  const pattern = typeof schema.pattern === 'string' ? schema.pattern : undefined;
  if (pattern !== undefined) {
    const matching = samplePattern(pattern);
    if (matching !== undefined) return matching;
    // An unsatisfiable pattern falls through to a plain string, which fails it.
  }
  const format = typeof schema.format === 'string' ? schema.format : undefined;
  const formatted = format === undefined ? undefined : sampleFormat(format, context, at);
  if (formatted !== undefined) return formatted;

  const word = WORDS[pickIndex({ context, at, count: WORDS.length })] ?? 'sample';
  const label = at.key === '' ? 'sample' : at.key.replace(/[_-]+/g, ' ');
  let text = `${label} ${word}${at.variant > 0 ? ` ${at.variant + 1}` : ''}`;
  const minLength = numberKeyword(schema, 'minLength');
  const maxLength = numberKeyword(schema, 'maxLength');
  if (minLength !== undefined && text.length < minLength) {
    // Past the caps the string stays short and fails `minLength` (see SAMPLE_LIMITS).
    const room = Math.max(context.budget.chars, text.length);
    text = text.padEnd(Math.min(minLength, SAMPLE_LIMITS.maxStringLength, room), 'x');
  }
  if (maxLength !== undefined && text.length > maxLength) text = text.slice(0, maxLength);
  context.budget.chars -= text.length;
  return text;
}

function sampleFormat(format: string, context: SampleContext, at: SamplePosition) {
  const day = String(1 + (at.variant % 28)).padStart(2, '0');
  const zone = context.naiveDateTime ? '' : 'Z';
  const hex = uuidHex(context, at);
  const formats: Record<string, string> = {
    'date-time': `2024-05-${day}T10:00:00${zone}`,
    date: `2024-05-${day}`,
    time: `10:00:${day}${zone}`,
    email: `user${at.variant || ''}@example.com`,
    'idn-email': `user${at.variant || ''}@example.com`,
    uri: `https://example.com/items/${at.variant + 1}`,
    'uri-reference': `/items/${at.variant + 1}`,
    iri: `https://example.com/items/${at.variant + 1}`,
    url: `https://example.com/items/${at.variant + 1}`,
    hostname: `host${at.variant + 1}.example.com`,
    uuid: uuidFromHex(hex),
    ipv4: `192.0.2.${(at.variant % 254) + 1}`,
    ipv6: `2001:db8::${(at.variant % 65535) + 1}`,
    duration: `P${at.variant + 1}D`,
    'json-pointer': `/items/${at.variant}`,
    regex: '^[a-z]+$',
  };
  return formats[format];
}

/** A version-4 shaped UUID from 32 hex digits. */
function uuidFromHex(hex: string): string {
  const part = (start: number, end: number) => hex.slice(start, end);
  return `${part(0, 8)}-${part(8, 12)}-4${part(13, 16)}-8${part(17, 20)}-${part(20, 32)}`;
}

function uuidHex(context: SampleContext, at: SamplePosition): string {
  let hex = '';
  for (let part = 0; hex.length < 32; part++) {
    const hash = hashString(`${context.seedText}|${at.path}|${at.variant}|${part}`);
    hex += hash.toString(16).padStart(8, '0');
  }
  return hex;
}

interface Bound {
  value: number;
  exclusive: boolean;
}

/** The bounds of a number schema, in both the 2020-12 and the draft-04 spelling. */
function bounds(schema: SchemaObject): { low?: Bound; high?: Bound } {
  const result: { low?: Bound; high?: Bound } = {};
  const minimum = numberKeyword(schema, 'minimum');
  const maximum = numberKeyword(schema, 'maximum');
  const exclusiveMinimum = numberKeyword(schema, 'exclusiveMinimum');
  const exclusiveMaximum = numberKeyword(schema, 'exclusiveMaximum');
  if (minimum !== undefined)
    result.low = { value: minimum, exclusive: schema.exclusiveMinimum === true };
  if (exclusiveMinimum !== undefined && (minimum === undefined || exclusiveMinimum >= minimum)) {
    result.low = { value: exclusiveMinimum, exclusive: true };
  }
  if (maximum !== undefined)
    result.high = { value: maximum, exclusive: schema.exclusiveMaximum === true };
  if (exclusiveMaximum !== undefined && (maximum === undefined || exclusiveMaximum <= maximum)) {
    result.high = { value: exclusiveMaximum, exclusive: true };
  }
  return result;
}

/**
 * A number inside the schema's bounds and on its `multipleOf` grid. Decimal
 * steps such as 0.1 can still fail a validator's exact multipleOf check
 * because of binary floating point; steps like 0.5 or 0.25 are exact.
 */
export function sampleNumber(options: {
  schema: SchemaObject;
  at: SamplePosition;
  integer: boolean;
}) {
  const { schema, at, integer } = options;
  const preferred = at.key === 'confidence' && !integer ? 0.9 : (integer ? 1 : 1.5) + at.variant;
  const { low, high } = bounds(schema);
  const step = numberKeyword(schema, 'multipleOf');
  if (step !== undefined && step > 0) return onGrid({ step, preferred, low, high });
  if (integer) {
    const min = low
      ? low.exclusive
        ? Math.floor(low.value) + 1
        : Math.ceil(low.value)
      : -Infinity;
    const max = high
      ? high.exclusive
        ? Math.ceil(high.value) - 1
        : Math.floor(high.value)
      : Infinity;
    return Math.min(Math.max(preferred, min), max);
  }
  if (inside(preferred, low, high)) return preferred;
  if (low && high) return (low.value + high.value) / 2;
  if (low) return low.exclusive ? low.value + 1 : low.value;
  if (high) return high.exclusive ? high.value - 1 : high.value;
  return preferred;
}

function inside(value: number, low?: Bound, high?: Bound): boolean {
  if (low && (low.exclusive ? value <= low.value : value < low.value)) return false;
  if (high && (high.exclusive ? value >= high.value : value > high.value)) return false;
  return true;
}

function onGrid(options: { step: number; preferred: number; low?: Bound; high?: Bound }) {
  const { step, preferred, low, high } = options;
  let minK = low ? Math.ceil(low.value / step) : -Infinity;
  if (low && !inside(minK * step, low)) minK += 1;
  let maxK = high ? Math.floor(high.value / step) : Infinity;
  if (high && !inside(maxK * step, undefined, high)) maxK -= 1;
  const k = Math.min(Math.max(Math.round(preferred / step) || 1, minK), maxK);
  return Number((k * step).toPrecision(15));
}

/** A keyword's value when it is a finite number. */
export function numberKeyword(schema: SchemaObject, key: string): number | undefined {
  const value = schema[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
