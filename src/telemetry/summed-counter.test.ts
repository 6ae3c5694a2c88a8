import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { summedCounter } from './summed-counter.js';

class ManualReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

async function read(reader: ManualReader) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics[0]!.metrics[0]!;
  return {
    descriptor: metric.descriptor,
    isMonotonic: (metric as { isMonotonic?: boolean }).isMonotonic,
    points: metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
  };
}

describe('summedCounter', () => {
  it('sums adds per attribute set and exports a cumulative monotonic sum', async () => {
    const reader = new ManualReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('t');
    const counter = summedCounter(meter, 'ai.request.cost_usd', {
      description: 'Spend.',
      unit: 'USD',
    });
    counter.add(0.25, { model: 'a', tier: 'cheap' });
    counter.add(0.5, { model: 'a', tier: 'cheap' });
    counter.add(1, { model: 'b', tier: 'mid' });
    counter.add(-3, { model: 'b', tier: 'mid' }); // dropped: counters only go up
    counter.add(Number.NaN, { model: 'b', tier: 'mid' }); // dropped

    const first = await read(reader);
    expect(first.descriptor).toMatchObject({ name: 'ai.request.cost_usd', unit: 'USD' });
    expect(first.isMonotonic).toBe(true);
    expect(first.points).toEqual([
      { attributes: { model: 'a', tier: 'cheap' }, value: 0.75 },
      { attributes: { model: 'b', tier: 'mid' }, value: 1 },
    ]);

    counter.add(2, { model: 'b', tier: 'mid' });
    const second = await read(reader);
    expect(second.points[1]).toEqual({ attributes: { model: 'b', tier: 'mid' }, value: 3 });
  });

  it('keeps a copy of the attributes, not the caller’s object', async () => {
    const reader = new ManualReader();
    const counter = summedCounter(new MeterProvider({ readers: [reader] }).getMeter('t'), 'c', {
      description: 'd',
    });
    const attributes = { model: 'a' };
    counter.add(1, attributes);
    attributes.model = 'changed';
    expect((await read(reader)).points).toEqual([{ attributes: { model: 'a' }, value: 1 }]);
  });
});
