/**
 * JSON text that is the same for equal values whatever order their object
 * keys were written in, so that it can be hashed into a cache key. Keys are
 * sorted by UTF-16 code unit, as `Array.prototype.sort` does; `undefined`
 * object members are left out and `undefined` array items become `null`, as
 * `JSON.stringify` does. Throws a `TypeError` for values JSON cannot hold
 * (bigint, functions, symbols, non-finite numbers), rather than hashing them
 * into something that collides.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 'value');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? writeArray(value, path) : writeObject(value, path);
    default:
      throw new TypeError(`${path}: a ${typeof value} has no JSON form`);
  }
}

function writeArray(items: unknown[], path: string): string {
  const parts = items.map((item, index) =>
    item === undefined ? 'null' : write(item, `${path}[${index}]`),
  );
  return `[${parts.join(',')}]`;
}

function writeObject(object: object, path: string): string {
  const record = object as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${write(member, `${path}.${key}`)}`);
  }
  return `{${parts.join(',')}}`;
}
