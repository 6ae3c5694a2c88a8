const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-fallback}` in every string of a parsed
 * configuration. Expansion happens after YAML parsing, so a variable's value
 * can never change the document's structure. An unset variable expands to
 * its fallback, or to an empty string.
 */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_, name: string, fallback?: string) => {
      const set = env[name];
      return set !== undefined && set !== '' ? set : (fallback ?? '');
    });
  }
  if (Array.isArray(value)) return value.map((item) => expandEnv(item, env));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = expandEnv(item, env);
    return out;
  }
  return value;
}
