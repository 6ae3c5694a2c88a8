import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Telemetry } from './telemetry.js';

/** An OTLP/HTTP collector on loopback that keeps what it is sent, by path. */
async function startCollector() {
  const received: { path: string; body: unknown }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => server.close() };
}

describe('OTLP export', () => {
  let stop: (() => unknown) | undefined;
  afterEach(() => stop?.());

  it('sends spans and metrics to the configured endpoint as OTLP/HTTP JSON', async () => {
    const collector = await startCollector();
    stop = collector.close;
    const telemetry = new Telemetry({
      region: 'eu-west-1',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
    });
    const span = telemetry.startRequestSpan({ requestId: 'r1', taskType: 'classification' });
    const record = span.end({
      job: { taskType: 'classification' } as never,
      result: {
        ok: false,
        error: { type: 'upstream_error', message: 'x', status: 502 },
        attempts: [],
      } as never,
    });
    telemetry.recordRequest(record);
    await telemetry.forceFlush();
    await telemetry.shutdown();

    const traces = collector.received.filter((r) => r.path === '/v1/traces');
    const metrics = collector.received.filter((r) => r.path === '/v1/metrics');
    const spanNames = traces.flatMap((r) =>
      (
        r.body as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] }
      ).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name))),
    );
    const metricNames = metrics.flatMap((r) =>
      (
        r.body as { resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[] }
      ).resourceMetrics.flatMap((rm) =>
        rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name)),
      ),
    );
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(spanNames).toEqual(['route classification']);
    expect(metricNames).toContain('ai.request.latency_ms');
  });
});
