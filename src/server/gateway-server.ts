import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { GatewayConfig } from '../config/config-types.js';
import type { ContractRegistry } from '../contracts/contract-registry.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../logging/logger.js';
import type { RouteEngine, RouteJob, RouteSuccess } from '../routing/route-engine.js';
import type { Clock } from '../util/clock.js';
import { parseChatRequest } from './chat-request.js';
import { toChatCompletion, toEnvelope } from './envelope.js';
import { sendJson, toErrorResponse } from './error-response.js';
import { readJsonBody } from './read-json-body.js';
import { RequestPipeline, type PipelineRequest } from './request-pipeline.js';
import { parseRouteRequest } from './route-request.js';
import { streamChat } from './stream-chat.js';
import { LightAbortController } from '../resilience/light-abort.js';

export interface GatewayServerOptions {
  config: GatewayConfig;
  engine: RouteEngine;
  contracts: ContractRegistry;
  logger: Logger;
  clock: Clock;
  /** Whether upstreams are ready (false while shutting down). */
  ready?: () => boolean;
  /** Facts `/readyz` adds to its body (the state of Redis); they do not change readiness. */
  readiness?: () => Record<string, string>;
  /** Policies, keys, cache, audit and telemetry around the engine; bare by default. */
  pipeline?: RequestPipeline;
  /**
   * More endpoints, keyed `METHOD /path` (metrics, dashboard, admin API);
   * each answers on its own and throws `GatewayError` for the error shape.
   */
  extraRoutes?: Record<string, ExtraRoute>;
}

/** An endpoint mounted beside the gateway's own. */
export type ExtraRoute = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

type Handler = (context: RequestContext) => Promise<void>;

interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  requestId: string;
  startedMs: number;
  /** Aborts when the client goes away before the answer is sent. */
  signal: AbortSignal;
  /** The path without its query. */
  endpoint: string;
  /** Set once the pipeline took the request: it is audited by `finish`. */
  finished: boolean;
}

/**
 * The gateway's HTTP surface on node:http. Each handler is a short list of
 * named steps: read, validate, route, answer; errors go through the one
 * mapping in `toErrorResponse`.
 */
export function createGatewayServer(options: GatewayServerOptions): Server {
  const { config, engine, contracts, logger, clock } = options;
  const ready = options.ready ?? (() => true);
  const pipeline = options.pipeline ?? new RequestPipeline({ config, engine, logger, clock });

  // HEAD answers as GET does; Node sends no body with it.
  const health: Handler = async ({ response }) =>
    sendJson(response, { status: 200, body: { ok: true } });
  const readiness: Handler = async ({ response }) => {
    const isReady = ready();
    const body = { ready: isReady, ...options.readiness?.() };
    sendJson(response, { status: isReady ? 200 : 503, body });
  };
  const routes: Record<string, Handler> = {
    'POST /v1/route': handleRoute,
    'POST /v1/chat/completions': handleChat,
    'GET /healthz': health,
    'HEAD /healthz': health,
    'GET /readyz': readiness,
    'HEAD /readyz': readiness,
    'GET /v1/models': handleModels,
    'GET /v1/models/*': handleModel,
  };
  for (const [key, route] of Object.entries(options.extraRoutes ?? {})) {
    routes[key] = ({ request, response }) => route(request, response);
  }

  async function handleRoute(context: RequestContext): Promise<void> {
    const body = await readJsonBody(context.request, { limitBytes: config.server.bodyLimitBytes });
    const parsed = parseRouteRequest(body, { config, contracts });
    const { job } = parsed;
    await serveRouted(context, {
      job,
      metadata: parsed.metadata,
      answer: (result, { cacheHit, latencyMs }) =>
        Object.assign({}, toEnvelope({ requestId: context.requestId, job, result, latencyMs }), {
          cache_hit: cacheHit,
        }),
    });
  }

  async function handleChat(context: RequestContext): Promise<void> {
    const body = await readJsonBody(context.request, { limitBytes: config.server.bodyLimitBytes });
    const taskType = header(context.request, 'x-task-type');
    const parsed = parseChatRequest(body, { config, contracts, taskType });
    if (parsed.stream) {
      const job = jobFor(context, parsed.job);
      return streamChat({ context, job, stream: parsed.stream, pipeline, clock });
    }
    await serveRouted(context, {
      job: parsed.job,
      metadata: undefined,
      answer: (result) => toChatCompletion({ requestId: context.requestId, result, clock }),
    });
  }

  /**
   * Routes a parsed request through the pipeline and answers it: the body
   * `answer` builds on success, the error shape otherwise. The request is
   * logged, audited and counted after the answer has gone out.
   */
  async function serveRouted(
    context: RequestContext,
    options: {
      job: ParsedJob;
      metadata: Record<string, unknown> | undefined;
      answer: (result: RouteSuccess, facts: { cacheHit: boolean; latencyMs: number }) => unknown;
    },
  ): Promise<void> {
    const request: PipelineRequest = {
      requestId: context.requestId,
      startedMs: context.startedMs,
      headers: context.request.headers,
      endpoint: context.endpoint,
      job: jobFor(context, options.job),
      metadata: options.metadata,
    };
    const outcome = await pipeline.run(request);
    context.finished = true;
    const { result, cacheHit } = outcome;
    let status = 200;
    if (result.ok) {
      const latencyMs = clock.now() - context.startedMs;
      sendJson(context.response, {
        status,
        body: options.answer(result, { cacheHit, latencyMs }),
        headers: successHeaders(context.requestId, result, cacheHit),
      });
    } else {
      status = sendError(context, result.error);
    }
    await pipeline.finish({ request, outcome, status });
  }

  /** What `model` accepts: `auto`, each tier, each configured model. */
  function modelObjects() {
    const names = new Set<string>(['auto', ...config.tierOrder]);
    for (const tier of config.tierOrder)
      for (const d of config.tiers[tier] ?? []) names.add(d.model);
    return [...names].map((id) => ({ id, object: 'model', created: 0, owned_by: 'switchyard' }));
  }

  async function handleModels({ response }: RequestContext): Promise<void> {
    sendJson(response, { status: 200, body: { object: 'list', data: modelObjects() } });
  }

  /** `GET /v1/models/{id}`, as the OpenAI SDKs' `models.retrieve` asks. */
  async function handleModel({ response, endpoint }: RequestContext): Promise<void> {
    const raw = endpoint.slice('/v1/models/'.length);
    let id: string;
    try {
      id = decodeURIComponent(raw);
    } catch {
      id = raw;
    }
    const model = modelObjects().find((m) => m.id === id);
    if (!model) {
      throw new GatewayError('not_found', `model: no tier or configured model named "${id}"`, {
        details: { field: 'model' },
      });
    }
    sendJson(response, { status: 200, body: model });
  }

  function jobFor(context: RequestContext, job: ParsedJob): RouteJob {
    const forwardHeaders: Record<string, string> = {};
    for (const provider of Object.values(config.providers)) {
      for (const name of provider.forwardHeaders) {
        const value = header(context.request, name);
        if (value !== undefined) forwardHeaders[name] = value;
      }
    }
    return Object.assign({}, job, {
      requestId: context.requestId,
      signal: context.signal,
      forwardHeaders,
    });
  }

  // A request must arrive whole within its deadline: a client that trickles
  // its body would otherwise hold a socket for Node's default 300 s. Node
  // answers 408 and closes; it looks every second.
  const receiveMs = Math.max(1_000, config.deadlineMs);
  const serverOptions = {
    requestTimeout: receiveMs,
    headersTimeout: Math.min(60_000, receiveMs),
    connectionsCheckingInterval: 1_000,
  };
  return createServer(serverOptions, (request, response) => {
    const requestId = clock.newId();
    const startedMs = clock.now();
    response.setHeader('x-request-id', requestId);
    // While shutting down, keep-alive clients are told to reconnect (to another
    // replica), so the drain ends instead of serving them for ever.
    if (!ready()) response.setHeader('connection', 'close');
    const controller = new LightAbortController();
    // `close` on the response before it finished means the client went away.
    response.on('close', () => {
      if (!response.writableFinished) controller.abort(new Error('client disconnected'));
    });
    const path = (request.url ?? '/').split('?')[0];
    // A route keyed `METHOD /a/b/*` serves every `/a/b/<segment>` (admin keys by id).
    const handler =
      routes[`${request.method} ${path}`] ??
      routes[`${request.method} ${(path ?? '/').replace(/\/[^/]*$/, '/*')}`];
    const context: RequestContext = {
      request,
      response,
      requestId,
      startedMs,
      signal: controller.signal,
      endpoint: path ?? '/',
      finished: false,
    };
    const run = handler ?? ((context) => noRoute(context, routes));
    run(context).catch((error: unknown) => {
      if (!(error instanceof GatewayError)) {
        logger.error({ request_id: context.requestId, err: error }, 'unhandled error');
      }
      const status = sendError(context, error);
      if (context.finished) return; // routed: `finish` logged and audited it
      // A tier or budget refusal comes after the key was recognised: name it.
      const keyId =
        error instanceof GatewayError && typeof error.details.api_key_id === 'string'
          ? error.details.api_key_id
          : undefined;
      // One log line per request, refused ones included (the type, never the
      // message, which may quote what the client sent).
      logger.info(
        {
          request_id: requestId,
          method: request.method,
          endpoint: context.endpoint,
          status,
          error_type: error instanceof GatewayError ? error.type : 'internal_error',
          latency_ms: clock.now() - startedMs,
          ...(keyId ? { key_id: keyId } : {}),
        },
        'request refused',
      );
      // A routed endpoint's request is audited even when refused before routing.
      if (ROUTED_ENDPOINTS.has(context.endpoint)) {
        pipeline.refused({
          requestId,
          startedMs,
          endpoint: context.endpoint,
          error,
          ...(keyId ? { keyId } : {}),
        });
      }
    });
  });
}

const ROUTED_ENDPOINTS = new Set(['/v1/route', '/v1/chat/completions']);

type ParsedJob = Omit<RouteJob, 'requestId' | 'signal' | 'forwardHeaders'>;

/**
 * 405 (with `allow`) for a path served under other methods, else 404. The
 * message names the path without its query string, which may hold a secret.
 */
async function noRoute(context: RequestContext, routes: Record<string, Handler>): Promise<void> {
  const path = context.endpoint;
  const wildcard = path.replace(/\/[^/]*$/, '/*');
  const allowed = Object.keys(routes)
    .map((key) => key.split(' '))
    .filter(([, routePath]) => routePath === path || routePath === wildcard)
    .map(([method]) => method as string);
  if (allowed.length > 0) {
    throw new GatewayError(
      'method_not_allowed',
      `method: ${context.request.method} is not served on ${path}; use ${allowed.join(' or ')}`,
      { details: { field: 'method', allowed_methods: allowed } },
    );
  }
  throw new GatewayError('not_found', `path: ${path} is not an endpoint of this gateway`, {
    details: { field: 'path' },
  });
}

/** Answers with the error shape, unless the answer has begun; returns its status. */
function sendError(context: RequestContext, error: unknown): number {
  const { status, body, headers } = toErrorResponse(error, context.requestId);
  if (context.response.headersSent || context.response.destroyed) return status;
  sendJson(context.response, { status, body, headers });
  return status;
}

function successHeaders(
  requestId: string,
  result: RouteSuccess,
  cacheHit: boolean,
): Record<string, string> {
  return {
    'x-request-id': requestId,
    'x-switchyard-model': result.deployment.model,
    'x-switchyard-tier': result.deployment.tier,
    'x-switchyard-cost-usd': String(result.costUsd),
    'x-switchyard-cache': cacheHit ? 'hit' : 'miss',
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
