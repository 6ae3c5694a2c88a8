import type { RouteResult } from './route-engine.js';

/**
 * How a routed request ended, for logs, metrics and the audit log:
 * `success`, `refusal` (a refusal answered as such on the chat endpoint), or
 * the error type.
 */
export function routeOutcome(result: RouteResult): string {
  if (!result.ok) return result.error.type;
  return result.refusal === undefined ? 'success' : 'refusal';
}
