/**
 * Preloaded (`node --import ./bench/loopback-only.mjs`) into the Portkey
 * gateway, whose start script calls `serve({ port })` from @hono/node-server
 * with no hostname, which makes Node listen on every interface. The bench
 * must only listen on loopback, so a listen() without a host gets 127.0.0.1.
 * The bench then reads /proc/net/tcp to be sure (see assertLoopbackOnly).
 */
import net from 'node:net';

const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [port, host] = args;
  if (typeof port === 'number' && (host === undefined || typeof host === 'function')) {
    const rest = args.slice(1).filter((arg) => arg !== undefined);
    return listen.call(this, port, '127.0.0.1', ...rest);
  }
  if (port && typeof port === 'object' && !('path' in port) && port.host === undefined) {
    return listen.call(this, { ...port, host: '127.0.0.1' }, ...args.slice(1));
  }
  return listen.apply(this, args);
};
