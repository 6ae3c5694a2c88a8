/**
 * Load generators. Both time every response themselves, in fractional ms:
 * autocannon's own histogram records whole milliseconds, too coarse for a
 * sub-millisecond added-latency target.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { percentile } from '../../dist/eval/percentile.js';

/** p50/p90/p99/max and mean of 2xx latencies, requests/s of 2xx answers. */
export function summarise({ latenciesMs, non2xx, errors, elapsedMs, extra = {} }) {
  const mean = latenciesMs.reduce((sum, v) => sum + v, 0) / (latenciesMs.length || 1);
  return {
    ok: latenciesMs.length,
    non2xx,
    errors,
    rps: (latenciesMs.length / elapsedMs) * 1000,
    meanMs: mean,
    p50Ms: percentile(latenciesMs, 50) ?? NaN,
    p90Ms: percentile(latenciesMs, 90) ?? NaN,
    p99Ms: percentile(latenciesMs, 99) ?? NaN,
    maxMs: percentile(latenciesMs, 100) ?? NaN,
    ...extra,
  };
}

/**
 * A bounded autocannon run (closed loop: each connection sends its next
 * request when the last one is answered). With `overallRate`, autocannon
 * caps each connection at its share of requests per second; note that it
 * sends that share back to back at the start of every second.
 */
export function runAutocannon(target, options) {
  const { connections, durationSec, overallRate } = options;
  const latenciesMs = [];
  let non2xx = 0;
  let errors = 0;
  return new Promise((resolve, reject) => {
    const startedMs = performance.now();
    const instance = autocannon(
      {
        url: target.url,
        method: 'POST',
        headers: target.headers,
        body: target.body,
        connections,
        duration: durationSec,
        ...(overallRate ? { overallRate } : {}),
        timeout: 10,
      },
      (error) => {
        if (error) return reject(error);
        const elapsedMs = performance.now() - startedMs;
        resolve(summarise({ latenciesMs, non2xx, errors, elapsedMs }));
      },
    );
    instance.on('response', (_client, status, _bytes, responseTimeMs) => {
      if (status >= 200 && status < 300) latenciesMs.push(responseTimeMs);
      else non2xx++;
    });
    instance.on('reqError', () => errors++);
  });
}

/**
 * An open-loop run at a steady rate: request i is due at i / rate seconds
 * and is sent then, whether or not earlier ones have been answered, over a
 * keep-alive pool of `connections` sockets. This is the arrival pattern a
 * gateway meets in service, and what "p99 at 500 req/s" means. The lag
 * between a request's due time and its dispatch is reported, to show the
 * generator itself kept up.
 */
export async function runPaced(target, options) {
  const { ratePerSec, durationSec, connections } = options;
  const url = new URL(target.url);
  const pool = new Pool(url.origin, { connections, pipelining: 1 });
  const total = Math.round(ratePerSec * durationSec);
  const intervalMs = 1000 / ratePerSec;
  const latenciesMs = [];
  const lagsMs = [];
  let non2xx = 0;
  let errors = 0;
  const inFlight = new Set();

  const send = async () => {
    const sentMs = performance.now();
    try {
      const response = await pool.request({
        path: url.pathname,
        method: 'POST',
        headers: target.headers,
        body: target.body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await response.body.dump({ limit: Infinity });
      if (response.statusCode >= 200 && response.statusCode < 300) {
        latenciesMs.push(performance.now() - sentMs);
      } else non2xx++;
    } catch {
      errors++;
    }
  };

  const startedMs = performance.now();
  let sent = 0;
  while (sent < total) {
    const nowMs = performance.now();
    while (sent < total && startedMs + sent * intervalMs <= nowMs) {
      lagsMs.push(nowMs - (startedMs + sent * intervalMs));
      const request = send();
      inFlight.add(request);
      request.finally(() => inFlight.delete(request));
      sent++;
    }
    await delay(Math.max(0, startedMs + sent * intervalMs - performance.now()));
  }
  await Promise.race([Promise.all(inFlight), delay(15_000, undefined, { ref: false })]);
  const elapsedMs = performance.now() - startedMs;
  await pool.destroy();
  return summarise({
    latenciesMs,
    non2xx,
    errors,
    elapsedMs,
    extra: { dispatchLagP99Ms: percentile(lagsMs, 99) ?? NaN },
  });
}
