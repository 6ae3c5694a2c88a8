import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeploymentConfig } from '../config/config-types.js';
import type { RouteJob, RouteResult, RouteSuccess } from '../routing/route-engine.js';
import { collectingAttempts, relayingAttempts } from '../routing/stream-attempts.js';
import { OpenAiSseWriter } from '../streaming/openai-sse-writer.js';
import type { Clock } from '../util/clock.js';
import type { ChatStreamOptions } from './chat-request.js';
import { sendJson, toErrorResponse } from './error-response.js';
import type { PipelineRequest, RequestPipeline } from './request-pipeline.js';

/** The parts of the server's per-request context a streamed answer needs. */
export interface StreamChatContext {
  request: IncomingMessage;
  response: ServerResponse;
  requestId: string;
  startedMs: number;
  endpoint: string;
  /** Set once the pipeline has taken the request; `finish` then audits it. */
  finished: boolean;
}

export interface StreamChatOptions {
  context: StreamChatContext;
  /** The routed job, with the client's signal and forwarded headers. */
  job: RouteJob;
  stream: ChatStreamOptions;
  pipeline: RequestPipeline;
  clock: Clock;
}

/**
 * Answers a `stream: true` chat completion with Server-Sent Events as
 * OpenAI streams them, through the same pipeline (keys, budgets, cache,
 * tracing) and engine (cost cap, gate, retries, fallback tier) as an
 * unstreamed request, and ends in the same `finish` step.
 *
 * Without a JSON Schema the answer is relayed as the upstream streams it;
 * an attempt may be retried or replaced only until its first content has
 * been sent. With one, the upstream stream is buffered and judged, and only
 * a validated answer is streamed, all at once. Whatever was not streamed as
 * it arrived (a validated answer, a cache hit) goes out whole; a request
 * that failed before anything was sent gets the ordinary JSON error.
 *
 * Known gap: nothing at all is sent while a JSON Schema answer is buffered
 * and judged (no SSE comment keeps the connection warm), so a client or
 * proxy with a read timeout shorter than the whole answer gives up first.
 */
export async function streamChat(options: StreamChatOptions): Promise<void> {
  const { context, stream, pipeline, clock } = options;
  const writer = new OpenAiSseWriter({
    response: context.response,
    requestId: context.requestId,
    includeUsage: stream.includeUsage,
    now: clock.now,
  });
  const runAttempt = options.job.contract
    ? collectingAttempts({ now: clock.now })
    : relayingAttempts({ writer, headersFor: streamHeaders, now: clock.now });
  const request: PipelineRequest = {
    requestId: context.requestId,
    startedMs: context.startedMs,
    headers: context.request.headers,
    endpoint: context.endpoint,
    job: Object.assign({}, options.job, { runAttempt }),
  };

  const outcome = await pipeline.run(request);
  context.finished = true;
  const { result, cacheHit } = outcome;
  // A request the pipeline took is finished (logged, audited, settled) however its answer ends.
  let status = 500;
  try {
    status = await answer({ writer, context, result, cacheHit });
  } finally {
    await pipeline.finish({ request, outcome, status });
  }
}

/** Finishes the response however far the relay got; returns the HTTP status sent. */
async function answer(options: {
  writer: OpenAiSseWriter;
  context: StreamChatContext;
  result: RouteResult;
  cacheHit: boolean;
}): Promise<number> {
  const { writer, context, result, cacheHit } = options;
  // The relay committed the response and ended it, with a finish or an error event.
  if (writer.started) return 200;
  if (result.ok) {
    await streamWhole({ writer, result, cacheHit });
    return 200;
  }
  const { status, body, headers } = toErrorResponse(result.error, context.requestId);
  const { response } = context;
  if (!response.headersSent && !response.destroyed) sendJson(response, { status, body, headers });
  return status;
}

/** A whole answer (validated, or from the cache) as one content (or refusal) chunk. */
async function streamWhole(options: {
  writer: OpenAiSseWriter;
  result: RouteSuccess;
  cacheHit: boolean;
}): Promise<void> {
  const { writer, result, cacheHit } = options;
  await writer.start({
    model: result.deployment.model,
    headers: Object.assign({}, streamHeaders(result.deployment), {
      'x-switchyard-cost-usd': String(result.costUsd),
      'x-switchyard-cache': cacheHit ? 'hit' : 'miss',
    }),
  });
  // A refusal goes out as OpenAI streams one: in delta.refusal, no content.
  if (result.refusal !== undefined) await writer.refusal(result.refusal);
  else
    await writer.text(result.payload === undefined ? result.text : JSON.stringify(result.payload));
  await writer.finish({ finishReason: result.finishReason, usage: result.usage });
}

/**
 * Headers sent when a stream starts. Its cost is not known yet, so a
 * relayed stream carries no `x-switchyard-cost-usd`: the log and the audit
 * record have it.
 */
function streamHeaders(deployment: DeploymentConfig): Record<string, string> {
  return {
    'x-switchyard-model': deployment.model,
    'x-switchyard-tier': deployment.tier,
    'x-switchyard-cache': 'miss',
    // Proxies such as nginx would otherwise hold chunks back.
    'x-accel-buffering': 'no',
  };
}
