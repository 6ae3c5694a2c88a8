import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port clients connect to; it stays the same across restarts. */
  readonly port: number;
  /** Whether it is listening now. */
  readonly up: boolean;
  /** Connections accepted so far, over every period it was up. */
  readonly accepted: number;
  /**
   * Stops listening and cuts every open connection in both directions, as a
   * server that went away would: clients see resets and refused connects.
   */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/**
 * A TCP forwarder on 127.0.0.1 to a loopback target, for outage tests: stop
 * it to make a database or Redis unreachable to the process under test
 * without touching the real server, start it to bring it back. For tests
 * only.
 */
export async function startTcpProxy(options: {
  targetHost: string;
  targetPort: number;
  /** 0 (default) picks a free port on the first start. */
  port?: number;
}): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = options.port ?? 0;
  let accepted = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const onConnection = (client: Socket) => {
    accepted++;
    const upstream = connect({ host: options.targetHost, port: options.targetPort });
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side failing ends both, as a dropped route would.
    client.once('error', () => upstream.destroy());
    upstream.once('error', () => client.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  };

  const start = async () => {
    if (server) return;
    const next = createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    port = (next.address() as AddressInfo).port;
    server = next;
  };

  const stop = async () => {
    const current = server;
    server = undefined;
    if (!current) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await start();
  return {
    get port() {
      return port;
    },
    get up() {
      return server !== undefined;
    },
    get accepted() {
      return accepted;
    },
    start,
    stop,
  };
}
