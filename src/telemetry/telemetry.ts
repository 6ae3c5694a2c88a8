import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Tracer } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import type { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { BreakerListener } from '../resilience/circuit-breaker.js';
import { GatewayMetrics, type BreakerStateSource } from './gateway-metrics.js';
import { resolveOtlpConfig, type Env, type OtlpConfig } from './otlp-config.js';
import {
  requestFacts,
  type RecordRequestInput,
  type RequestFacts,
  type RequestObserver,
} from './request-facts.js';
import { RequestSpan, type StartRequestSpanInput } from './request-span.js';

export interface TelemetryOptions {
  /** `server.region` of the configuration; else `AWS_REGION`, else `us-east-1`. */
  region?: string | undefined;
  /** `service.name` of the resource; default `switchyard`. */
  serviceName?: string;
  /** Where the `OTEL_*` and `AWS_REGION` variables are read; default `process.env`. */
  env?: Env;
  logger?: Logger;
  /** The breaker state gauge reads from here on every scrape. */
  breakers?: BreakerStateSource;
  /** Told of every recorded request: the dashboard's stats, the policies. */
  observers?: RequestObserver[];
  /** An extra span exporter, fed span by span (tests use an in-memory one). */
  spanExporter?: SpanExporter;
  /** A monotonic clock in ms for request spans; default `performance.now`. */
  nowMs?: () => number;
}

/** A gate event as `ResilientGate`'s `onEvent` reports it. */
export interface GateEventView {
  type: string;
  deploymentId: string;
  reason?: string;
}

// The OTLP exporters (and their HTTP and protobuf stacks) are required only
// when an endpoint is configured; most gateways export nothing over OTLP.
const requireOptional = createRequire(import.meta.url);
const loadOtlpMetricExporter = (): typeof OTLPMetricExporter =>
  (
    requireOptional('@opentelemetry/exporter-metrics-otlp-http') as {
      OTLPMetricExporter: typeof OTLPMetricExporter;
    }
  ).OTLPMetricExporter;
const loadOtlpTraceExporter = (): typeof OTLPTraceExporter =>
  (
    requireOptional('@opentelemetry/exporter-trace-otlp-http') as {
      OTLPTraceExporter: typeof OTLPTraceExporter;
    }
  ).OTLPTraceExporter;

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Everything the gateway reports about itself: an OpenTelemetry meter
 * provider read by a Prometheus exporter that starts no server of its own
 * (the gateway serves `GET /metrics` through `metricsHandler`), a tracer
 * provider, and OTLP export of both when the `OTEL_EXPORTER_OTLP_*`
 * variables ask for it (off by default). One `recordRequest` per finished
 * request feeds the metrics and every observer.
 */
export class Telemetry {
  readonly region: string;
  readonly otlp: OtlpConfig;
  readonly metrics: GatewayMetrics;
  readonly #logger: Logger;
  readonly #meterProvider: MeterProvider;
  readonly #tracerProvider: BasicTracerProvider;
  /** Absent while no processor takes spans: then none are made. */
  readonly #tracer: Tracer | undefined;
  readonly #prometheus: PrometheusExporter;
  readonly #serializer: PrometheusSerializer;
  readonly #observers: RequestObserver[];
  readonly #nowMs: (() => number) | undefined;

  constructor(options: TelemetryOptions = {}) {
    const env = options.env ?? process.env;
    this.region = options.region ?? env.AWS_REGION ?? 'us-east-1';
    this.otlp = resolveOtlpConfig(env);
    this.#logger = options.logger ?? silentLogger();
    this.#observers = [...(options.observers ?? [])];
    this.#nowMs = options.nowMs;
    const resource = resourceFromAttributes({
      'service.name': options.serviceName ?? 'switchyard',
      'cloud.region': this.region,
    });

    this.#prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
    // The same settings as the exporter's own, so the text is what its server would send.
    this.#serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
    this.#meterProvider = new MeterProvider({ resource, readers: this.#metricReaders() });
    this.metrics = new GatewayMetrics({
      meter: this.#meterProvider.getMeter('switchyard'),
      region: this.region,
    });
    if (options.breakers) this.metrics.watchBreakers(options.breakers);

    const spanProcessors = this.#spanProcessors(options.spanExporter);
    this.#tracerProvider = new BasicTracerProvider({ resource, spanProcessors });
    // Spans nobody exports would cost every request their attributes for nothing.
    this.#tracer =
      spanProcessors.length > 0 ? this.#tracerProvider.getTracer('switchyard') : undefined;
    this.#logger.info(
      {
        region: this.region,
        otlp_traces: this.otlp.traces?.url,
        otlp_metrics: this.otlp.metrics?.url,
      },
      'telemetry ready',
    );
  }

  /** Feeds one finished request to the metrics and every observer; never throws. */
  recordRequest(input: RecordRequestInput): RequestFacts {
    const facts = requestFacts(input);
    this.#safely('metrics', () => this.metrics.record(facts));
    for (const observer of this.#observers) this.#safely('observer', () => observer.observe(facts));
    return facts;
  }

  /** Adds an observer (the dashboard's stats, the policy engine) after construction. */
  addObserver(observer: RequestObserver): void {
    this.#observers.push(observer);
  }

  /**
   * Starts the server span of a request. Typical use:
   * `const span = telemetry.startRequestSpan({...});`
   * `const result = await engine.route({ ...job, attemptObserver: span });`
   * `telemetry.recordRequest(span.end({ job, result, endpoint }));`
   */
  startRequestSpan(input: StartRequestSpanInput): RequestSpan {
    return new RequestSpan({
      tracer: this.#tracer,
      input,
      ...(this.#nowMs ? { nowMs: this.#nowMs } : {}),
    });
  }

  /** A breaker listener that counts transitions; chain it with the logging one. */
  breakerListener(): BreakerListener {
    return {
      onStateChange: (change) =>
        this.#safely('breaker', () => this.metrics.recordBreakerTransition(change)),
    };
  }

  /** Counts a gate refusal (`ResilientGate`'s `onEvent`); other events are ignored. */
  recordGateEvent(event: GateEventView): void {
    if (event.type !== 'refused') return;
    const reason = event.reason ?? 'unknown';
    this.#safely('gate', () =>
      this.metrics.recordRefusal({ deploymentId: event.deploymentId, reason }),
    );
  }

  /** The Prometheus text exposition of every metric, as `GET /metrics` sends it. */
  async metricsText(): Promise<string> {
    const { resourceMetrics, errors } = await this.#prometheus.collect();
    if (errors.length > 0) this.#logger.warn({ errors }, 'some metrics could not be collected');
    return this.#serializer.serialize(resourceMetrics);
  }

  /** `GET /metrics`: the Prometheus text format, version 0.0.4. */
  readonly metricsHandler = async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const body = await this.metricsText();
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
      res.end(body);
    } catch (error) {
      this.#logger.error({ err: error }, 'metrics collection failed');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('# metrics collection failed\n');
    }
  };

  /** Pushes what OTLP exporters hold; a no-op for Prometheus alone. */
  async forceFlush(): Promise<void> {
    await Promise.all([this.#meterProvider.forceFlush(), this.#tracerProvider.forceFlush()]);
  }

  /** Flushes and stops the exporters; call once on shutdown. */
  async shutdown(): Promise<void> {
    await Promise.all([this.#meterProvider.shutdown(), this.#tracerProvider.shutdown()]);
  }

  #metricReaders(): MetricReader[] {
    const readers: MetricReader[] = [this.#prometheus];
    const target = this.otlp.metrics;
    if (target) {
      const Exporter = loadOtlpMetricExporter();
      const exporter = new Exporter({ url: target.url, headers: target.headers });
      const intervalMs = this.otlp.metricIntervalMs;
      readers.push(
        new PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: intervalMs,
          exportTimeoutMillis: Math.min(30_000, intervalMs),
        }),
      );
    }
    return readers;
  }

  #spanProcessors(extra: SpanExporter | undefined): SpanProcessor[] {
    const processors: SpanProcessor[] = [];
    const target = this.otlp.traces;
    if (target) {
      const Exporter = loadOtlpTraceExporter();
      const exporter = new Exporter({ url: target.url, headers: target.headers });
      processors.push(new BatchSpanProcessor(exporter));
    }
    if (extra) processors.push(new SimpleSpanProcessor(extra));
    return processors;
  }

  #safely(what: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#logger.warn({ err: error, what }, 'telemetry recording failed');
    }
  }
}
