import type { IncomingHttpHeaders } from 'node:http';
import { toAuditRecord } from '../audit/audit-record.js';
import { parseCacheControl } from '../cache/cache-control.js';
import { candidateModels, findCachedResponse, storeKey } from '../cache/find-cached-response.js';
import { requestCacheParts, type RequestCacheParts } from '../cache/cache-key.js';
import { toCachedResponse, type CachedResponse } from '../cache/cached-response.js';
import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../logging/logger.js';
import type { RouteEngine, RouteJob, RouteResult, RouteSuccess } from '../routing/route-engine.js';
import type { Clock } from '../util/clock.js';
import type { GatewayServices } from '../app/gateway-services.js';
import type { RecordRequestInput } from '../telemetry/request-facts.js';
import { toErrorResponse } from './error-response.js';
import { routeOutcome } from '../routing/route-outcome.js';

/** A client's admission: who it is, what it may use, and its budget hold. */
export interface AccessGrant {
  /** The key's id (never the key); null while the gateway is open. */
  keyId: string | null;
  /** Tiers the key may use; absent allows all. */
  allowedTiers: string[] | undefined;
  /** Replaces the budget hold by what the request really cost. */
  settle(costUsd: number): Promise<void>;
}

/** Checks a request's key, tier and budget before it is routed. */
export interface AccessControl {
  /** Throws `GatewayError` 401, 403 or 402 `budget_exceeded`. */
  admit(input: { headers: IncomingHttpHeaders; job: RouteJob; tier: string }): Promise<AccessGrant>;
}

/** One request on its way through the pipeline. */
export interface PipelineRequest {
  requestId: string;
  startedMs: number;
  headers: IncomingHttpHeaders;
  endpoint: string;
  job: RouteJob;
  metadata?: Record<string, unknown> | undefined;
}

/** How a routed request ended, for the answer and for `finish`. */
export interface PipelineOutcome {
  result: RouteResult;
  cacheHit: boolean;
  grant: AccessGrant | undefined;
  /**
   * What the request's span measured, for metrics and policies; `finish`
   * records it after the answer went out. Absent without telemetry or for a
   * cache hit: `finish` then records from its own clock.
   */
  measured?: RecordRequestInput | undefined;
  /** The budget hold was already settled; `finish` must not again. */
  settled?: boolean;
}

export interface RequestPipelineOptions {
  config: GatewayConfig;
  engine: RouteEngine;
  logger: Logger;
  clock: Clock;
  services?: Partial<GatewayServices> | undefined;
  access?: AccessControl | undefined;
}

/**
 * What happens around the engine for every routed request, in order:
 * policies pick the start tier, the key is checked and its budget held,
 * the cache is asked, the engine routes inside a trace span, the answer is
 * cached; then `finish` logs, audits, records metrics and settles the
 * budget. Every step but routing is optional and off when unconfigured.
 */
export class RequestPipeline {
  readonly #options: RequestPipelineOptions;

  constructor(options: RequestPipelineOptions) {
    this.#options = options;
  }

  /** Admits, looks up and routes one request; throws only the admission's errors. */
  async run(request: PipelineRequest): Promise<PipelineOutcome> {
    const job = this.#steer(request.job);
    const grant = await this.#admit(request, job);
    if (grant?.allowedTiers) job.allowedTiers = grant.allowedTiers;

    let outcome: PipelineOutcome;
    try {
      outcome = await this.#serve(request, { job, grant });
    } catch (error) {
      // Nothing was spent that the engine reported; let go of the hold now.
      await grant?.settle(0).catch(() => {});
      throw error;
    }
    return this.#settled({ request, outcome });
  }

  async #serve(
    request: PipelineRequest,
    options: { job: RouteJob; grant: AccessGrant | undefined },
  ): Promise<PipelineOutcome> {
    const { job, grant } = options;
    const directives = parseCacheControl(request.headers['cache-control']);
    const parts = this.#cacheParts(job, grant);
    if (parts && !directives.noCache) {
      const hit = await this.#lookup(job, parts);
      if (hit) return { result: hit, cacheHit: true, grant };
    }
    const { result, measured } = await this.#route(request, job);
    // A refusal is answered but never cached: the next asker gets a fresh try.
    if (parts && result.ok && result.refusal === undefined && !directives.noStore) {
      await this.#store(parts, result);
    }
    return { result, cacheHit: false, grant, measured };
  }

  /**
   * Logs the request, writes its audit record, feeds metrics and policies,
   * and settles its budget hold. Called once per request that was routed
   * (or answered from the cache), whatever the outcome.
   */
  async finish(entry: {
    request: PipelineRequest;
    outcome: PipelineOutcome;
    status: number;
  }): Promise<void> {
    const { request, outcome, status } = entry;
    const { result, cacheHit } = outcome;
    const latencyMs = this.#options.clock.now() - request.startedMs;
    this.#log({ request, outcome, latencyMs });
    this.#options.services?.audit?.enqueue(
      toAuditRecord({
        requestId: request.requestId,
        startedMs: request.startedMs,
        latencyMs,
        job: request.job,
        result,
        endpoint: request.endpoint,
        status,
        apiKeyId: outcome.grant?.keyId ?? null,
        cacheHit,
        ...(request.metadata ? { metadata: request.metadata } : {}),
        includeText: this.#options.config.audit.includeText,
      }),
    );
    this.#options.services?.telemetry?.recordRequest(
      outcome.measured ??
        Object.assign({}, this.#labelled(request.job), {
          result,
          latencyMs,
          cacheHit,
          endpoint: endpointLabel(request.endpoint),
        }),
    );
    if (!outcome.settled) await this.#settled({ request, outcome });
  }

  /**
   * Replaces the budget hold by the real cost before the answer goes out, so
   * a client's next request never meets this one's hold.
   */
  async #settled(entry: {
    request: PipelineRequest;
    outcome: PipelineOutcome;
  }): Promise<PipelineOutcome> {
    const { request, outcome } = entry;
    const costUsd = outcome.cacheHit ? 0 : outcome.result.costUsd;
    await outcome.grant?.settle(costUsd).catch((error: unknown) => {
      this.#options.logger.error({ err: error, request_id: request.requestId }, 'budget settle');
    });
    return Object.assign({}, outcome, { settled: true });
  }

  /** Audits a request refused before routing (400, 401, 404, 413, …). */
  refused(entry: {
    requestId: string;
    startedMs: number;
    endpoint: string;
    error: unknown;
    keyId?: string | null;
  }): void {
    const { status, body } = toErrorResponse(entry.error, entry.requestId);
    this.#options.services?.audit?.enqueue(
      toAuditRecord({
        requestId: entry.requestId,
        startedMs: entry.startedMs,
        latencyMs: this.#options.clock.now() - entry.startedMs,
        endpoint: entry.endpoint,
        status,
        apiKeyId: entry.keyId ?? null,
        errorType: String(body.error.type),
      }),
    );
  }

  async #admit(request: PipelineRequest, job: RouteJob): Promise<AccessGrant | undefined> {
    const { access, services } = this.#options;
    if (!access) return undefined;
    try {
      return await access.admit({ headers: request.headers, job, tier: job.plan.startTier });
    } catch (error) {
      if (error instanceof GatewayError && error.type === 'budget_exceeded') {
        services?.telemetry?.metrics.recordBudgetRejection({
          taskType: this.#labelled(job).job.taskType,
          reason: error.type,
        });
      }
      throw error;
    }
  }

  /** A tier the latency policy has marked slow sends allowed task types one cheaper. */
  #steer(job: RouteJob): RouteJob {
    const policies = this.#options.services?.policies;
    if (!policies || job.plan.pinnedModel !== undefined) return { ...job };
    const startTier = policies.adjustTier(job.taskType, job.plan.startTier);
    return Object.assign({}, job, { plan: Object.assign({}, job.plan, { startTier }) });
  }

  async #route(
    request: PipelineRequest,
    job: RouteJob,
  ): Promise<{ result: RouteResult; measured?: RecordRequestInput }> {
    const { engine, services } = this.#options;
    const telemetry = services?.telemetry;
    if (!telemetry) return { result: await engine.route(job) };
    const labelled = this.#labelled(job);
    const span = telemetry.startRequestSpan({
      requestId: request.requestId,
      taskType: labelled.job.taskType,
      endpoint: endpointLabel(request.endpoint),
      headers: request.headers,
    });
    const result = await engine.route(Object.assign({}, job, { attemptObserver: span }));
    // Metrics and policies are fed in `finish`, once the answer has gone out.
    const measured: RecordRequestInput = Object.assign(
      {},
      span.end(
        Object.assign({}, labelled, {
          result,
          cacheHit: false,
          endpoint: endpointLabel(request.endpoint),
        }),
      ),
      { capLoweredByClient: labelled.capLoweredByClient, callerSchema: labelled.callerSchema },
    );
    return { result, measured };
  }

  /**
   * The job as metrics, spans and policies see it: a task type the
   * configuration does not name is `other`, so a client cannot mint label
   * values (and series) at will; and whether the client lowered the cap.
   */
  #labelled(job: RouteJob): {
    job: RouteJob;
    capLoweredByClient: boolean;
    callerSchema: boolean;
  } {
    const { config } = this.#options;
    const known = Object.hasOwn(config.taskTypes, job.taskType);
    return {
      job: known ? job : Object.assign({}, job, { taskType: 'other' }),
      capLoweredByClient: job.maxCostUsd < config.cost.maxCostUsdPerRequest,
      callerSchema: job.contract?.name.startsWith(INLINE_CONTRACT_PREFIX) ?? false,
    };
  }

  #cacheParts(job: RouteJob, grant: AccessGrant | undefined): RequestCacheParts | undefined {
    if (!this.#options.services?.cache) return undefined;
    // Tenants with keys never see each other's answers.
    const namespace = grant?.keyId ?? undefined;
    return requestCacheParts(job, namespace ? { namespace } : {});
  }

  async #lookup(job: RouteJob, parts: RequestCacheParts): Promise<RouteSuccess | undefined> {
    const { config, services } = this.#options;
    const models = candidateModels({ config, plan: job.plan, allowedTiers: job.allowedTiers });
    const hit = await findCachedResponse({ cache: services!.cache!, models, parts });
    if (!hit) return undefined;
    return fromCache(config, hit.response);
  }

  async #store(parts: RequestCacheParts, result: RouteSuccess): Promise<void> {
    const { services, clock, config } = this.#options;
    const key = storeKey({ parts, servedModel: result.deployment.model });
    const entry = toCachedResponse(result, { nowMs: clock.now() });
    await services!.cache!.set(key, entry, config.cache.ttlMs);
  }

  #log(entry: { request: PipelineRequest; outcome: PipelineOutcome; latencyMs: number }): void {
    const { request, outcome, latencyMs } = entry;
    const { result } = outcome;
    const last = result.attempts[result.attempts.length - 1];
    this.#options.logger.info(
      {
        request_id: request.requestId,
        endpoint: request.endpoint,
        task_type: request.job.taskType,
        tier: result.ok ? result.deployment.tier : last?.tier,
        model: result.ok ? result.deployment.model : last?.model,
        attempts: result.attempts.map((a) => `${a.model}:${a.outcome}`),
        latency_ms: latencyMs,
        cost_usd: outcome.cacheHit ? 0 : result.costUsd,
        // A stream that ended without usage was priced from our own count.
        ...(result.attempts.some((a) => a.costEstimated) ? { cost_estimated: true } : {}),
        cache_hit: outcome.cacheHit,
        ...(outcome.grant?.keyId ? { key_id: outcome.grant.keyId } : {}),
        outcome: routeOutcome(result),
        ...(request.metadata ? { metadata: request.metadata } : {}),
      },
      'request',
    );
  }
}

/** A cached answer as the engine's success: no attempts, no cost. */
function fromCache(config: GatewayConfig, cached: CachedResponse): RouteSuccess {
  return {
    ok: true,
    deployment: deploymentOf(config, cached),
    payload: cached.payload,
    text: cached.text,
    repaired: cached.repaired,
    finishReason: cached.finishReason,
    usage: cached.usage,
    attempts: [],
    costUsd: 0,
    fallback: false,
  };
}

function deploymentOf(config: GatewayConfig, cached: CachedResponse): DeploymentConfig {
  for (const list of Object.values(config.tiers)) {
    const found = list.find((d) => d.id === cached.deploymentId);
    if (found) return found;
  }
  // The deployment left the configuration since; the answer still stands.
  const [, provider = 'unknown'] = cached.deploymentId.split('/');
  return {
    id: cached.deploymentId,
    tier: cached.tier,
    provider,
    model: cached.model,
    contextWindow: undefined,
    maxPromptTokens: undefined,
    costPerRequestUsd: 0,
  };
}

// Inline schemas are compiled under `inline_<hash>` (contract-registry.ts).
const INLINE_CONTRACT_PREFIX = 'inline_';

function endpointLabel(endpoint: string): string {
  return endpoint === '/v1/chat/completions' ? 'chat' : 'route';
}
