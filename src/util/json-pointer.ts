/** One token of a JSON Pointer (RFC 6901) as the key it names: `~1` is `/`, `~0` is `~`. */
export function unescapePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}
