import { describe, expect, it } from 'vitest';
import { LatencyWindow } from './latency-window.js';
import { RatioWindow } from './ratio-window.js';

describe('LatencyWindow', () => {
  it('interpolates p95 inside its bucket as histogram_quantile does', () => {
    const window = new LatencyWindow();
    for (let i = 0; i < 90; i++) window.record(50, 1000);
    for (let i = 0; i < 10; i++) window.record(400, 1000);

    // Rank 95 is the 5th of the 10 samples in (300, 400]: 300 + 100 × 5/10.
    expect(window.quantile(0.95, 1000)).toBe(350);
    expect(window.quantile(0.5, 1000)).toBeCloseTo(25 + (25 * 50) / 90, 10);
    expect(window.count(1000)).toBe(100);
  });

  it('reads a quantile in the open top bucket as the highest finite bound', () => {
    const window = new LatencyWindow();
    window.record(90_000, 0);

    expect(window.quantile(0.95, 0)).toBe(60_000);
  });

  it('reads 5 s answers as about 5 s, not as the middle of a 5–10 s bucket', () => {
    const window = new LatencyWindow();
    for (let i = 0; i < 25; i++) window.record(5_030, 0);
    // Interpolated within (5000, 6000], as histogram_quantile does.
    expect(window.quantile(0.5, 0)).toBe(5_500);
    expect(window.quantile(0.95, 0)).toBe(5_950);
  });

  it('has no quantile when empty', () => {
    expect(new LatencyWindow().quantile(0.95, 0)).toBeUndefined();
  });

  it('forgets a slice once the window has moved past it', () => {
    const window = new LatencyWindow({ windowMs: 300_000, slices: 30 });
    window.record(100, 0);
    window.record(100, 150_000);

    expect(window.count(299_999)).toBe(2);
    expect(window.count(300_000)).toBe(1);
    expect(window.count(450_000)).toBe(0);
  });

  it('reuses a ring slot without counting the older slice it held', () => {
    const window = new LatencyWindow({ windowMs: 30_000, slices: 3 });
    window.record(10, 0);
    window.record(10, 30_000); // same ring slot as t=0, one window later

    expect(window.count(30_000)).toBe(1);
  });
});

describe('RatioWindow', () => {
  it('gives hits over events in the window', () => {
    const window = new RatioWindow({ windowMs: 60_000, slices: 6 });
    for (let i = 0; i < 48; i++) window.record({ hit: false, nowMs: 5_000 });
    window.record({ hit: true, nowMs: 5_000 });
    window.record({ hit: true, nowMs: 30_000 });

    expect(window.totals(30_000)).toEqual({ total: 50, hits: 2, ratio: 0.04 });
    expect(window.totals(65_000)).toEqual({ total: 1, hits: 1, ratio: 1 });
  });

  it('reads 0 with no events rather than NaN', () => {
    expect(new RatioWindow({ windowMs: 1000 }).totals(0)).toEqual({ total: 0, hits: 0, ratio: 0 });
  });
});
