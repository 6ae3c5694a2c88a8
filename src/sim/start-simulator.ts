import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { silentLogger } from '../logging/logger.js';
import { anthropicDialect } from './anthropic-dialect.js';
import { handleControl, type ControlTarget } from './control-routes.js';
import type { Dialect } from './dialect.js';
import { handleChat, type ChatDependencies } from './handle-chat.js';
import { sendBody } from './http-io.js';
import { modelList } from './model-list.js';
import { ModelRegistry } from './model-registry.js';
import { openaiDialect } from './openai-dialect.js';
import { createIdGenerator, createSeededRandom } from './prng.js';
import { SimulatorCounters } from './simulator-counters.js';
import type { RunningSimulator, SimulatorOptions } from './types.js';

const DEFAULT_SEED = 1;

/**
 * Starts the provider simulator: an HTTP server speaking OpenAI Chat
 * Completions (`POST /v1/chat/completions`, `GET /v1/models`) and Anthropic
 * Messages (`POST /v1/messages`), with scripted and random faults, for the
 * gateway's demo mode, tests and benchmarks. It listens on 127.0.0.1 on an
 * ephemeral port unless told otherwise.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const seed = options.seed ?? DEFAULT_SEED;
  const now = options.now ?? Date.now;
  const makeRandom = () => options.random ?? createSeededRandom(seed);
  // Ids draw from their own stream, so that they never shift the fault draws.
  const makeIds = () => createIdGenerator(createSeededRandom(seed ^ 0x5eed));
  let random = makeRandom();
  let newId = makeIds();
  const registry = new ModelRegistry({ ...options, random: () => random(), now });
  const counters = new SimulatorCounters();
  const sockets = new Set<Socket>();
  const deps: ChatDependencies = {
    registry,
    counters,
    newId: (prefix, length) => newId(prefix, length),
    now,
    logger: options.logger ?? silentLogger(),
  };
  const target: ControlTarget = {
    registry,
    stats: () => counters.snapshot(sockets.size),
    reset: () => {
      registry.reset();
      counters.reset();
      random = makeRandom();
      newId = makeIds();
    },
  };

  const server = createServer((request, response) => {
    route({ request, response, deps, target }).catch((error: unknown) => {
      deps.logger.error({ err: error }, 'simulator request failed');
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  });
  server.on('connection', (socket) => {
    // Small writes must leave at once, or split_utf8 halves would be merged.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let closing: Promise<void> | undefined;
  await listen({ server, host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    script: (model, scenarios) => registry.enqueue(model, scenarios),
    configure: (model, behaviour) => registry.configure(model, behaviour),
    stats: target.stats,
    close: () => (closing ??= closeServer({ server, sockets })),
  };
}

async function route(options: {
  request: IncomingMessage;
  response: ServerResponse;
  deps: ChatDependencies;
  target: ControlTarget;
}): Promise<void> {
  const { request, response, deps } = options;
  const path = new URL(request.url ?? '/', 'http://simulator').pathname;
  const controller = new AbortController();
  response.once('close', () => controller.abort());
  const signal = controller.signal;

  if (path.startsWith('/_sim/'))
    return handleControl({ request, response, path, target: options.target });
  const dialect = pickDialect(path, request);
  if (request.method === 'POST' && path === '/v1/chat/completions') {
    return handleChat({ dialect: openaiDialect, request, response, signal, deps });
  }
  if (request.method === 'POST' && path === '/v1/messages') {
    return handleChat({ dialect: anthropicDialect, request, response, signal, deps });
  }
  if (request.method === 'GET' && path === '/v1/models') {
    const body = JSON.stringify(
      modelList({ api: dialect.name, registry: deps.registry, nowMs: deps.now() }),
    );
    return sendBody(response, {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body,
      signal,
    });
  }
  request.resume();
  const { status, body } = dialect.error(
    { kind: 'not_found', method: request.method ?? 'GET', path },
    'req_none',
  );
  const headers = { 'content-type': 'application/json' };
  return sendBody(response, { status, headers, body: JSON.stringify(body), signal });
}

/** Anthropic's shape for requests that carry Anthropic headers, else OpenAI's. */
function pickDialect(path: string, request: IncomingMessage): Dialect {
  if (path === '/v1/messages' || request.headers['anthropic-version'] !== undefined) {
    return anthropicDialect;
  }
  return openaiDialect;
}

function listen(options: { server: ReturnType<typeof createServer>; host: string; port: number }) {
  const { server, host, port } = options;
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, then destroys every socket so that hung and keep-alive ones go too. */
async function closeServer(options: {
  server: ReturnType<typeof createServer>;
  sockets: Set<Socket>;
}) {
  const { server, sockets } = options;
  const stopped = new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
  });
  const socketsClosed = [...sockets].map((socket) => {
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.destroy();
    return closed;
  });
  server.closeAllConnections();
  await Promise.all([stopped, ...socketsClosed]);
}
