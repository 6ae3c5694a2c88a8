import { performance } from 'node:perf_hooks';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { AttemptRecord } from '../routing/attempt.js';
import type { AttemptObserver } from '../routing/route-engine.js';
import { attemptAttributes, providerOf, requestAttributes } from './genai-attributes.js';
import { requestFacts, upstreamWaitMs, wasMade, type RecordRequestInput } from './request-facts.js';

export interface StartRequestSpanInput {
  requestId: string;
  taskType: string;
  endpoint?: string;
  /** The client's headers: a W3C `traceparent` makes this span a child of the caller's. */
  headers?: Record<string, string | string[] | undefined>;
}

/** What `end` needs besides the timings the span measured itself. */
export type EndRequestInput = Omit<RecordRequestInput, 'latencyMs' | 'upstreamMs'>;

interface AttemptTiming {
  deploymentId: string;
  startMs: number;
  endMs: number | undefined;
}

const propagator = new W3CTraceContextPropagator();

/**
 * The server span of one request and, when it ends, a client span per
 * attempt. Attempt spans get their real start and end when the span is the
 * job's `attemptObserver` (the engine marks them); without it they are laid
 * end to end from the request's start, which leaves out backoff waits, so
 * their times are then only approximate.
 */
export class RequestSpan implements AttemptObserver {
  readonly #tracer: Tracer | undefined;
  readonly #span: Span | undefined;
  readonly #context: Context | undefined;
  readonly #input: StartRequestSpanInput;
  readonly #nowMs: () => number;
  readonly #startMs: number;
  readonly #systemOf: (deploymentId: string) => string;
  readonly #timings: AttemptTiming[] = [];
  #ended = false;

  constructor(options: {
    /**
     * Absent when no span goes anywhere (no exporter): the span then only
     * measures the latency and upstream wait that `end` returns.
     */
    tracer: Tracer | undefined;
    input: StartRequestSpanInput;
    /** A monotonic clock in ms; default `performance.now`. */
    nowMs?: () => number;
    systemOf?: (deploymentId: string) => string;
  }) {
    const { tracer, input } = options;
    this.#tracer = tracer;
    this.#input = input;
    this.#nowMs = options.nowMs ?? (() => performance.now());
    this.#systemOf = options.systemOf ?? providerOf;
    this.#startMs = this.#nowMs();
    if (!tracer) return;
    const parent = input.headers
      ? propagator.extract(ROOT_CONTEXT, input.headers, headerGetter)
      : ROOT_CONTEXT;
    this.#span = tracer.startSpan(
      `route ${input.taskType}`,
      { kind: SpanKind.SERVER, startTime: this.#epochMs(this.#startMs) },
      parent,
    );
    this.#context = trace.setSpan(parent, this.#span);
  }

  /** The W3C trace id, when spans are exported. */
  get traceId(): string | undefined {
    return this.#span?.spanContext().traceId;
  }

  /** Called by the engine (as the job's attempt observer) when a deployment admitted an attempt. */
  attemptStarted(deploymentId: string): void {
    this.#timings.push({ deploymentId, startMs: this.#nowMs(), endMs: undefined });
  }

  /** Called by the engine when the attempt's upstream call returned. */
  attemptEnded(deploymentId: string): void {
    const open = this.#timings.findLast((t) => t.deploymentId === deploymentId && !t.endMs);
    if (open) open.endMs = this.#nowMs();
  }

  /**
   * Ends the span (once; later calls change nothing) with the attempt spans
   * under it, and returns the input for `Telemetry.recordRequest` with the
   * latency and upstream wait measured on the monotonic clock.
   */
  end(input: EndRequestInput): RecordRequestInput {
    const endMs = this.#nowMs();
    const record = this.#measured(input, endMs);
    if (this.#ended) return record;
    this.#ended = true;
    if (!this.#span) return record;

    const facts = requestFacts(record);
    this.#endAttempts(record);
    const served = record.result.ok ? record.result.deployment.id : undefined;
    const system = this.#systemOf(served ?? facts.attempts.at(-1)?.deploymentId ?? '');
    this.#span.setAttributes(requestAttributes(facts, system));
    if (!record.result.ok) {
      this.#span.setStatus({ code: SpanStatusCode.ERROR, message: record.result.error.type });
    }
    this.#span.end(this.#epochMs(endMs));
    return record;
  }

  #measured(input: EndRequestInput, endMs: number): RecordRequestInput {
    const timed = this.#timings.filter((t) => t.endMs !== undefined);
    const upstreamMs =
      timed.length > 0
        ? timed.reduce((sum, t) => sum + (t.endMs! - t.startMs), 0)
        : upstreamWaitMs(input.result.attempts);
    return Object.assign({}, input, { latencyMs: endMs - this.#startMs, upstreamMs });
  }

  #endAttempts(record: RecordRequestInput): void {
    const tracer = this.#tracer!;
    const { job, result } = record;
    const repaired = result.ok && result.repaired;
    const pending = [...this.#timings];
    let cursorMs = this.#startMs;
    for (const attempt of result.attempts) {
      const timing = wasMade(attempt) ? takeTiming(pending, attempt) : undefined;
      const startMs = timing?.startMs ?? cursorMs;
      const endMs = timing?.endMs ?? startMs + (wasMade(attempt) ? attempt.latencyMs : 0);
      cursorMs = endMs;
      const span = tracer.startSpan(
        `chat ${attempt.model}`,
        { kind: SpanKind.CLIENT, startTime: this.#epochMs(startMs) },
        this.#context,
      );
      const system = this.#systemOf(attempt.deploymentId);
      span.setAttributes(attemptAttributes(attempt, { taskType: job.taskType, system, repaired }));
      if (attempt.outcome !== 'success') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: attempt.outcome });
      }
      span.end(this.#epochMs(endMs));
    }
  }

  #epochMs(monotonicMs: number): number {
    return performance.timeOrigin + monotonicMs;
  }
}

/** The earliest marked timing of this attempt's deployment, removed from `pending`. */
function takeTiming(pending: AttemptTiming[], attempt: AttemptRecord): AttemptTiming | undefined {
  const index = pending.findIndex((t) => t.deploymentId === attempt.deploymentId);
  if (index < 0) return undefined;
  return pending.splice(index, 1)[0];
}

const headerGetter = {
  get(carrier: Record<string, string | string[] | undefined>, key: string) {
    return carrier[key];
  },
  keys(carrier: Record<string, string | string[] | undefined>) {
    return Object.keys(carrier);
  },
};
