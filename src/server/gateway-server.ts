import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { GatewayConfig } from '../config/config-types.js';
import type { ContractRegistry } from '../contracts/contract-registry.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../logging/logger.js';
import type { RouteEngine, RouteJob, RouteResult } from '../routing/route-engine.js';
import type { Clock } from '../util/clock.js';
import { parseChatRequest } from './chat-request.js';
import { toChatCompletion, toEnvelope } from './envelope.js';
import { sendJson, toErrorResponse } from './error-response.js';
import { readJsonBody } from './read-json-body.js';
import { parseRouteRequest } from './route-request.js';

export interface GatewayServerOptions {
  config: GatewayConfig;
  engine: RouteEngine;
  contracts: ContractRegistry;
  logger: Logger;
  clock: Clock;
  /** Whether upstreams are ready (false while shutting down). */
  ready?: () => boolean;
}

type Handler = (context: RequestContext) => Promise<void>;

interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  requestId: string;
  startedMs: number;
  /** Aborts when the client goes away before the answer is sent. */
  signal: AbortSignal;
}

/**
 * The gateway's HTTP surface on node:http. Each handler is a short list of
 * named steps: read, validate, route, answer; errors go through the one
 * mapping in `toErrorResponse`.
 */
export function createGatewayServer(options: GatewayServerOptions): Server {
  const { config, engine, contracts, logger, clock } = options;
  const ready = options.ready ?? (() => true);

  const routes: Record<string, Handler> = {
    'POST /v1/route': handleRoute,
    'POST /v1/chat/completions': handleChat,
    'GET /healthz': async ({ response }) => sendJson(response, { status: 200, body: { ok: true } }),
    'GET /readyz': async ({ response }) =>
      sendJson(response, { status: ready() ? 200 : 503, body: { ready: ready() } }),
    'GET /v1/models': handleModels,
  };

  async function handleRoute(context: RequestContext): Promise<void> {
    const body = await readJsonBody(context.request, { limitBytes: config.server.bodyLimitBytes });
    const parsed = parseRouteRequest(body, { config, contracts });
    const result = await engine.route(jobFor(context, parsed.job));
    const latencyMs = clock.now() - context.startedMs;
    logRequest({ context, job: parsed.job, result, metadata: parsed.metadata });
    if (!result.ok) throw result.error;
    const envelope = toEnvelope({
      requestId: context.requestId,
      job: parsed.job,
      result,
      latencyMs,
    });
    sendJson(context.response, {
      status: 200,
      body: envelope,
      headers: successHeaders(context.requestId, result),
    });
  }

  async function handleChat(context: RequestContext): Promise<void> {
    const body = await readJsonBody(context.request, { limitBytes: config.server.bodyLimitBytes });
    const taskType = header(context.request, 'x-task-type');
    const parsed = parseChatRequest(body, { config, contracts, taskType });
    const result = await engine.route(jobFor(context, parsed.job));
    logRequest({ context, job: parsed.job, result, metadata: undefined });
    if (!result.ok) throw result.error;
    sendJson(context.response, {
      status: 200,
      body: toChatCompletion({ requestId: context.requestId, result, clock }),
      headers: successHeaders(context.requestId, result),
    });
  }

  async function handleModels({ response }: RequestContext): Promise<void> {
    const names = new Set<string>(['auto', ...config.tierOrder]);
    for (const tier of config.tierOrder)
      for (const d of config.tiers[tier] ?? []) names.add(d.model);
    const data = [...names].map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'switchyard',
    }));
    sendJson(response, { status: 200, body: { object: 'list', data } });
  }

  function jobFor(context: RequestContext, job: ParsedJob): RouteJob {
    const forwardHeaders: Record<string, string> = {};
    for (const provider of Object.values(config.providers)) {
      for (const name of provider.forwardHeaders) {
        const value = header(context.request, name);
        if (value !== undefined) forwardHeaders[name] = value;
      }
    }
    return { ...job, requestId: context.requestId, signal: context.signal, forwardHeaders };
  }

  function logRequest(entry: {
    context: RequestContext;
    job: ParsedJob;
    result: RouteResult;
    metadata: Record<string, unknown> | undefined;
  }): void {
    const { context, job, result } = entry;
    const last = result.attempts[result.attempts.length - 1];
    logger.info(
      {
        request_id: context.requestId,
        task_type: job.taskType,
        tier: result.ok ? result.deployment.tier : last?.tier,
        model: result.ok ? result.deployment.model : last?.model,
        attempts: result.attempts.map((a) => `${a.model}:${a.outcome}`),
        latency_ms: clock.now() - context.startedMs,
        cost_usd: result.costUsd,
        outcome: result.ok ? 'success' : result.error.type,
        ...(entry.metadata ? { metadata: entry.metadata } : {}),
      },
      'request',
    );
  }

  return createServer((request, response) => {
    const requestId = clock.newId();
    const startedMs = clock.now();
    response.setHeader('x-request-id', requestId);
    const controller = new AbortController();
    // `close` on the response before it finished means the client went away.
    response.on('close', () => {
      if (!response.writableFinished) controller.abort(new Error('client disconnected'));
    });
    const path = (request.url ?? '/').split('?')[0];
    const handler = routes[`${request.method} ${path}`];
    const context = { request, response, requestId, startedMs, signal: controller.signal };
    const run = handler ?? notFound;
    run(context).catch((error: unknown) => answerError({ context, error, logger }));
  });
}

type ParsedJob = Omit<RouteJob, 'requestId' | 'signal' | 'forwardHeaders'>;

async function notFound(context: RequestContext): Promise<void> {
  throw new GatewayError(
    'not_found',
    `${context.request.method} ${context.request.url}: no such endpoint`,
  );
}

function answerError(options: { context: RequestContext; error: unknown; logger: Logger }): void {
  const { context, error, logger } = options;
  if (!(error instanceof GatewayError)) {
    logger.error({ request_id: context.requestId, err: error }, 'unhandled error');
  }
  if (context.response.headersSent || context.response.destroyed) return;
  const { status, body, headers } = toErrorResponse(error, context.requestId);
  sendJson(context.response, { status, body, headers });
}

function successHeaders(requestId: string, result: RouteResult): Record<string, string> {
  if (!result.ok) return { 'x-request-id': requestId };
  return {
    'x-request-id': requestId,
    'x-switchyard-model': result.deployment.model,
    'x-switchyard-tier': result.deployment.tier,
    'x-switchyard-cost-usd': String(result.costUsd),
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
