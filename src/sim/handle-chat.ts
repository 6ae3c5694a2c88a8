import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.js';
import { composeReply } from './compose-reply.js';
import type { ChatRequest, Dialect, ErrorSpec, NewId, ReplyContext } from './dialect.js';
import { pause, readBody, sendBody, sendStream } from './http-io.js';
import type { ModelRegistry } from './model-registry.js';
import {
  planScenarios,
  ScenarioError,
  splitScenarioList,
  type ScenarioPlan,
} from './scenario-plan.js';
import { sendFault } from './send-fault.js';
import type { SimulatorCounters } from './simulator-counters.js';

/** The simulator's shared parts that every completion request uses. */
export interface ChatDependencies {
  registry: ModelRegistry;
  counters: SimulatorCounters;
  newId: NewId;
  now: () => number;
  logger: Logger;
}

/** Options of `handleChat`. */
export interface HandleChatOptions {
  dialect: Dialect;
  request: IncomingMessage;
  response: ServerResponse;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  deps: ChatDependencies;
}

/** Longest wait between stream frames, however slow the model is set to be. */
const MAX_FRAME_GAP_MS = 25;

/** One request's id, its common headers, and a way to answer it with an API error. */
interface Exchange {
  requestId: string;
  headers(): Record<string, string>;
  reject(spec: ErrorSpec, extraHeaders?: Record<string, string>): Promise<void>;
}

/**
 * One completion request, in the order the real APIs check things: body
 * size, credentials, the body itself, then rate limits; then the scenario
 * decides between a fault and a reply.
 */
export async function handleChat(options: HandleChatOptions): Promise<void> {
  const { dialect, deps, signal } = options;
  const exchange = openExchange(options);
  deps.counters.countRequest();

  const admitted = await readChatRequest(options, exchange);
  if (!admitted) return;
  const { parsed, plan } = admitted;
  if (await refuseOverLimit({ ...options, exchange, parsed })) return;
  deps.counters.countScenarios(plan.names);
  const logLine = { api: dialect.name, model: parsed.model, scenarios: plan.names };
  deps.logger.debug({ ...logLine, requestId: exchange.requestId }, 'sim request');

  const behaviour = deps.registry.behaviour(parsed.model);
  await pause((behaviour.latencyMs ?? 0) + plan.delayMs, signal);
  if (signal.aborted) return;
  if (plan.fault) {
    return sendFault({
      fault: plan.fault,
      dialect,
      response: options.response,
      request: parsed,
      headers: exchange.headers(),
      requestId: exchange.requestId,
      snapshot: deps.registry.window(parsed.model).snapshot(),
      ...(behaviour.rateLimit && { tokensLimit: behaviour.rateLimit.tokens }),
      nowMs: deps.now(),
      signal,
    });
  }
  const gapMs = frameGapMs(behaviour.latencyMs);
  await sendReply({ ...options, parsed, plan, headers: exchange.headers(), gapMs });
}

function openExchange(options: HandleChatOptions): Exchange {
  const { dialect, response, signal } = options;
  const startedMs = performance.now();
  const requestId = dialect.newRequestId(options.deps.newId);
  const headers = () => ({
    [dialect.requestIdHeader]: requestId,
    ...dialect.extraHeaders({ processingMs: Math.round(performance.now() - startedMs) }),
  });
  const reject = (spec: ErrorSpec, extraHeaders: Record<string, string> = {}) => {
    const { status, body } = dialect.error(spec, requestId);
    const all = { ...headers(), ...extraHeaders, 'content-type': 'application/json' };
    return sendBody(response, { status, headers: all, body: JSON.stringify(body), signal });
  };
  return { requestId, headers, reject };
}

/** The parsed request and its scenario plan, or undefined once it has been refused. */
async function readChatRequest(
  options: HandleChatOptions,
  exchange: Exchange,
): Promise<{ parsed: ChatRequest; plan: ScenarioPlan } | undefined> {
  const { dialect, request, deps } = options;
  const refuse = async (spec: ErrorSpec) => void (await exchange.reject(spec));
  const rawBody = await readBody(request);
  if (rawBody === undefined) return refuse({ kind: 'payload_too_large' });
  const headerError = dialect.checkHeaders(request.headers);
  if (headerError) return refuse(headerError);
  const parsed = dialect.parse(rawBody);
  if ('kind' in parsed) return refuse(parsed);
  deps.counters.countModel(parsed.model);

  try {
    const scenarios = chooseScenarios({ request, model: parsed.model, registry: deps.registry });
    return { parsed, plan: planScenarios(scenarios) };
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return refuse({ kind: 'invalid_request', message: error.message, param: null });
  }
}

/** Answers 429 when the model's configured window is spent; true if it did. */
async function refuseOverLimit(
  options: HandleChatOptions & { exchange: Exchange; parsed: ChatRequest },
): Promise<boolean> {
  const { dialect, deps, parsed } = options;
  const window = deps.registry.window(parsed.model);
  const refusal = window.admit(parsed.promptTokens);
  if (!refusal) return false;

  deps.counters.countScenarios(['rate_limit_window']);
  const { resource, limit, used, retryAfterMs } = refusal;
  const rateHeaders = dialect.rateHeaders({
    snapshot: window.snapshot(),
    nowMs: deps.now(),
    overrides: { exhausted: true },
  });
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  const requested = resource === 'requests' ? 1 : parsed.promptTokens;
  const model = parsed.model;
  const spec: ErrorSpec = {
    kind: 'rate_limited',
    model,
    resource,
    limit,
    used,
    requested,
    retryAfterMs,
  };
  await options.exchange.reject(spec, { ...rateHeaders, 'retry-after': retryAfter });
  return true;
}

/** `x-sim-scenario` wins; else the model's queue or a random fault. */
function chooseScenarios(options: {
  request: IncomingMessage;
  model: string;
  registry: ModelRegistry;
}): string[] {
  const header = options.request.headers['x-sim-scenario'];
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text !== undefined && text.trim() !== '') return splitScenarioList(text);
  return options.registry.nextScenarios(options.model).flatMap(splitScenarioList);
}

function frameGapMs(latencyMs: number | undefined): number {
  return Math.min(MAX_FRAME_GAP_MS, Math.round((latencyMs ?? 0) / 10));
}

interface SendReplyOptions extends HandleChatOptions {
  parsed: ChatRequest;
  plan: ScenarioPlan;
  headers: Record<string, string>;
  gapMs: number;
}

async function sendReply(options: SendReplyOptions): Promise<void> {
  const { dialect, deps, parsed, plan, response, signal } = options;
  const reply = composeReply({
    output: parsed.output,
    promptText: parsed.promptText,
    plan,
    ...(parsed.maxTokens !== undefined && { maxTokens: parsed.maxTokens }),
    reasoningTokens: deps.registry.reasoningTokens(parsed.model),
  });
  const window = deps.registry.window(parsed.model);
  window.charge({ inputTokens: parsed.promptTokens, outputTokens: reply.outputTokens });

  const nowMs = deps.now();
  const cachedTokens = Math.min(plan.cachedTokens, parsed.promptTokens);
  const context: ReplyContext = {
    request: parsed,
    reply,
    plan,
    newId: deps.newId,
    nowMs,
    cachedTokens,
  };
  const overrides =
    plan.remainingTokens === undefined ? {} : { remainingTokens: plan.remainingTokens };
  const headers = {
    ...options.headers,
    ...dialect.rateHeaders({ snapshot: window.snapshot(), nowMs, overrides }),
  };
  if (!parsed.stream) {
    const body = JSON.stringify(dialect.body(context));
    const jsonHeaders = { ...headers, 'content-type': 'application/json' };
    await sendBody(response, {
      status: 200,
      headers: jsonHeaders,
      body,
      splitUtf8: plan.splitUtf8,
      signal,
    });
    return;
  }
  await sendStream(response, {
    headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8' },
    frames: dialect.streamFrames(context),
    gapMs: options.gapMs,
    splitUtf8: plan.splitUtf8,
    signal,
  });
}
