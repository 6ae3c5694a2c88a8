import { contentText } from '../cost/count-tokens.js';

/** A plain JSON object, as request bodies and schemas are. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body as an object, or undefined when it is not a JSON object. */
export function parseJsonObject(rawBody: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(rawBody);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The JSON type name the APIs use in their messages: string, array, object, ... */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const FENCED_JSON = /```json[^\S\n]*\n([\s\S]*?)```/g;

/**
 * The first JSON Schema found in a fenced ```json block of these texts.
 * The gateway's prompt-based JSON mode puts the schema there; a block that
 * does not parse, or parses to a non-object, is skipped.
 */
export function findFencedSchema(texts: readonly string[]): Record<string, unknown> | undefined {
  for (const text of texts) {
    for (const match of text.matchAll(FENCED_JSON)) {
      const schema = parseJsonObject(match[1] ?? '');
      if (schema) return schema;
    }
  }
  return undefined;
}

/** The text of every message's content, for seeding and schema search. */
export function messageTexts(messages: readonly unknown[]): string[] {
  return messages.map((message) => (isRecord(message) ? contentText(message.content) : ''));
}

/** A positive integer token cap, undefined when absent, 'invalid' when not such an integer. */
export function readTokenCap(value: unknown): number | 'invalid' | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return 'invalid';
  return value;
}
