/**
 * Field names whose values never reach a log line, even when an object
 * holding them is logged by mistake: provider keys, client keys, prompt text.
 */
const SENSITIVE = new Set(['apiKey', 'authorization', 'x-api-key', 'prompt', 'messages']);

/** What a sensitive value is replaced by. */
export const CENSOR = '[redacted]';

/** How many levels below the logged object are searched (`a.b.apiKey`). */
const MAX_DEPTH = 2;

/**
 * The logged object with every sensitive field, at the top or up to two
 * levels down (in nested objects and arrays), replaced by `[redacted]`.
 * Copy on write: the object is returned as it is when nothing matches, and
 * only the containers on the way to a match are copied, so the caller's
 * objects are never changed. (pino's own `redact` cloned the whole object
 * for every line: the largest allocation on the request path.)
 */
export function redactFields<T extends object>(fields: T): T {
  return redactAt(fields, 0) as T;
}

function redactAt(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const child = source[key];
    const next = SENSITIVE.has(key) ? CENSOR : redactAt(child, depth + 1);
    if (next === child) continue;
    copy ??= Array.isArray(source)
      ? ([...source] as unknown as Record<string, unknown>)
      : { ...source };
    copy[key] = next;
  }
  return copy ?? value;
}
