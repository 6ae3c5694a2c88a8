import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * Whether a request carries `Authorization: Bearer <token>`. Both sides are
 * hashed to 32 bytes first and compared with `timingSafeEqual`, so the time
 * taken tells nothing of how much of the token, or of its length, matched.
 */
export function hasAdminToken(request: Pick<IncomingMessage, 'headers'>, token: string): boolean {
  const header = request.headers['authorization'];
  const match = typeof header === 'string' ? /^bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!.trim()), digest(token));
}

/**
 * Throws unless the request may use the admin API: 404 `not_found` when no
 * token is configured (the API is off, and says how to turn it on), 401
 * `unauthorized` when the token is missing or wrong.
 */
export function assertAdmin(
  request: Pick<IncomingMessage, 'headers'>,
  token: string | undefined,
): void {
  if (token === undefined) {
    throw new GatewayError(
      'not_found',
      'admin: the admin API is disabled; set admin.token (e.g. ${SWITCHYARD_ADMIN_TOKEN}) to enable it',
      { details: { field: 'admin' } },
    );
  }
  if (hasAdminToken(request, token)) return;
  throw new GatewayError(
    'unauthorized',
    'authorization: send the admin token as Authorization: Bearer <token>',
    { details: { field: 'authorization' } },
  );
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
