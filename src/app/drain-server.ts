import type { Server } from 'node:http';
import type { Logger } from '../logging/logger.js';

/**
 * Stops `server` taking connections and resolves once every open one has
 * closed: requests in flight finish, idle keep-alive sockets close at once.
 * Every request ends by its deadline, but a client that stops reading a
 * stream can hold its socket past it, so whatever is still open after
 * `graceMs` is cut and the drain always ends.
 */
export async function drainServer(
  server: Server,
  options: { graceMs: number; logger: Logger },
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const cut = setTimeout(() => {
    options.logger.warn(
      { grace_ms: options.graceMs },
      'connections still open at the end of the drain; closing them',
    );
    server.closeAllConnections();
  }, options.graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(cut);
  }
}
