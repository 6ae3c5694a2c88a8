/** What a request's `Cache-Control` header asks of the response cache. */
export interface CacheDirectives {
  /** `no-cache`: do not answer from the cache (the answer may still be stored). */
  noCache: boolean;
  /** `no-store`: do not store this answer (a cached one may still be served). */
  noStore: boolean;
}

/**
 * Reads the request directives the response cache honours from a
 * `Cache-Control` header (RFC 9111 §5.2.1): `no-cache` skips the lookup and
 * `no-store` skips the write. Directive names are case-insensitive; any
 * others, and arguments such as `max-age=0`, are ignored. Repeated headers
 * (Node gives an array) count as one comma-separated list.
 */
export function parseCacheControl(header: string | string[] | undefined): CacheDirectives {
  const directives = { noCache: false, noStore: false };
  if (header === undefined) return directives;

  const text = Array.isArray(header) ? header.join(',') : header;
  for (const part of text.split(',')) {
    const name = part.split('=', 1)[0]!.trim().toLowerCase();
    if (name === 'no-cache') directives.noCache = true;
    if (name === 'no-store') directives.noStore = true;
  }
  return directives;
}
