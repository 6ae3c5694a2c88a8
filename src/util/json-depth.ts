/**
 * Whether objects and arrays in `value` nest deeper than `limit`; stops
 * looking at `limit`, so a hostile value costs no more than `limit` levels.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.some((child) => nestsDeeperThan(child, limit - 1));
}
