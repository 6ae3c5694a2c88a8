import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DashboardData } from '../src/dashboard/dashboard-data.js';
import { bucketQuantile } from '../src/telemetry/bucket-quantile.js';
import { PROMETHEUS_NAMES as P } from '../src/telemetry/metric-names.js';
import { histogramCounts, parseExposition, sumOf, type Sample } from './support/exposition.js';
import {
  CHEAP,
  classify,
  openCheapBreaker,
  sendEveryKind,
  startObservedGateway,
  type ObservedGateway,
} from './support/observed-gateway.js';
import { CHROMIUM, describeWithTool } from './support/required-tool.js';

const ROOT = join(import.meta.dirname, '..');
const ARTIFACTS = join(ROOT, 'artifacts');
const ROUNDS = 12;
const TRAFFIC_DEADLINE_MS = 20_000;

/** The flags the project runs Chromium with: headless, offline, no first-run work. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Bounded traffic of every kind, with slow answers and costly reasoning
 * requests among them. The gateway's clock moves 15 s a round, spread over
 * the round, so the charts get three minutes of history (under five, so
 * every request is still in the five-minute window). Stops after `ROUNDS`
 * or the deadline, whichever comes first.
 */
async function sendTraffic(gateway: ObservedGateway): Promise<{ sent: number; rounds: number }> {
  const stopAtMs = Date.now() + TRAFFIC_DEADLINE_MS;
  const clock = gateway.harness.clock;
  let sent = 0;
  let round = 0;
  for (; round < ROUNDS && Date.now() < stopAtMs; round++) {
    const statuses = await sendEveryKind(gateway, { costCap: round % 4 === 0 });
    if (statuses.includes(503)) throw new Error(`gateway overloaded: ${statuses}`);
    clock.advance(8_000);
    await gateway.route({ body: classify, scenario: `slow:${40 + 20 * (round % 8)}` });
    clock.advance(4_000);
    await gateway.route({ body: { ...classify, task_type: 'reasoning' } });
    clock.advance(3_000);
    sent += statuses.length + 2;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return { sent, rounds: round };
}

/** The number in an on-screen text such as "$0.01234", "97.5%", "125 ms" or "17.0". */
function numberIn(text: string): number {
  const match = /-?\d+(?:\.\d+)?(?:e-?\d+)?/.exec(text.replace(/,/g, ''));
  if (!match) throw new Error(`no number in "${text}"`);
  return Number(match[0]);
}

/** Every `data-metric` element's text, by metric name. */
async function screenFigures(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-metric]', (nodes) =>
    Object.fromEntries(
      nodes.map((node) => [node.getAttribute('data-metric') ?? '', node.textContent ?? '']),
    ),
  );
}

/** Waits for the page to poll once more, and to have drawn what that poll returned. */
async function nextRender(page: Page): Promise<DashboardData> {
  const response = await page.waitForResponse((r) => r.url().endsWith('/dashboard/data'), {
    timeout: 20_000,
  });
  const data = (await response.json()) as DashboardData;
  await page.waitForSelector(`body[data-generated-at="${data.generatedAtMs}"]`, {
    timeout: 20_000,
  });
  return data;
}

function quantileOf(samples: readonly Sample[], q: number): number {
  const { boundaries, counts } = histogramCounts(samples, P.requestLatency);
  return bucketQuantile({ counts, boundaries, q })!;
}

/** The on-screen text matches `expected` to the precision it is shown with. */
function expectShown(text: string, expected: number, options: { step: number }): void {
  expect(Math.abs(numberIn(text) - expected), `"${text}" shows ${expected}`).toBeLessThanOrEqual(
    options.step / 2 + 1e-9,
  );
}

/** A latency figure ("7.5 ms", "125 ms", "2.30 s") matches to the precision shown. */
function expectMsShown(text: string, expectedMs: number): void {
  if (text.endsWith(' s')) return expectShown(text, expectedMs / 1000, { step: 0.01 });
  expectShown(text, expectedMs, { step: expectedMs < 10 ? 0.1 : 1 });
}

/** A dollar figure matches: to the cent from $1, to 4 significant digits below. */
function expectUsdShown(text: string, expected: number): void {
  const shown = numberIn(text);
  const error = expected >= 1 ? Math.abs(shown - expected) : Math.abs(shown / expected - 1);
  expect(error, `"${text}" shows ${expected}`).toBeLessThanOrEqual(expected >= 1 ? 0.005 : 5e-4);
}

describeWithTool(CHROMIUM, 'GET /dashboard in headless Chromium', (executablePath) => {
  let gateway: ObservedGateway;
  let context: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    gateway = await startObservedGateway();
    userDataDir = mkdtempSync(join(tmpdir(), 'switchyard-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
    });
  });
  afterAll(async () => {
    await context?.close();
    await gateway?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('shows live figures and charts that match the gateway’s own counters', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    const seenTotals: number[] = [];
    page.on('response', (response) => {
      if (!response.url().endsWith('/dashboard/data')) return;
      void response
        .json()
        .then((data: DashboardData) => seenTotals.push(data.totals.requests))
        .catch(() => {});
    });

    await page.goto(`${gateway.url}/dashboard`);
    await nextRender(page);
    const { sent, rounds } = await sendTraffic(gateway);
    await openCheapBreaker(gateway);
    const data = await nextRender(page);
    const shown = await screenFigures(page);
    const samples = parseExposition(await gateway.metricsText());
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    if (process.env.SWITCHYARD_UPDATE_DOCS_SCREENSHOT === '1') {
      await page.screenshot({ path: join(ROOT, 'docs', 'dashboard.png'), fullPage: true });
    }

    // It was polling while requests flowed: a render between none and all.
    const total = sent + 3;
    expect(
      seenTotals.some((n) => n > 0 && n < total),
      `totals seen ${seenTotals}`,
    ).toBe(true);
    expect(problems).toEqual([]);

    // Totals against /metrics.
    const requests = sumOf(samples, `${P.requestLatency}_count`);
    const costUsd = sumOf(samples, P.requestCost);
    expect(requests).toBe(total);
    expect(data.totals.requests).toBe(requests);
    expect(numberIn(shown['total-requests']!)).toBe(requests);
    expectUsdShown(shown['cost-total']!, costUsd);
    expect(data.totals.costUsd).toBeCloseTo(costUsd, 12);

    // Every request is within the last five minutes of the gateway's clock,
    // so the window's figures are the all-time ones /metrics gives.
    expect(data.lastFiveMinutes.requests).toBe(requests);
    expectMsShown(shown['latency-p50']!, quantileOf(samples, 0.5));
    expectMsShown(shown['latency-p95']!, quantileOf(samples, 0.95));
    expectMsShown(shown['latency-p99']!, quantileOf(samples, 0.99));
    const verdicts = sumOf(samples, P.validationResult);
    const passed =
      sumOf(samples, P.validationResult, { status: 'valid' }) +
      sumOf(samples, P.validationResult, { status: 'repaired' });
    expect(verdicts).toBeGreaterThan(passed);
    expectShown(shown['validation-success']!, (100 * passed) / verdicts, { step: 0.1 });
    const fallbacks = sumOf(samples, P.fallbacks);
    expect(fallbacks).toBe(rounds);
    expectShown(shown['fallback-rate']!, (100 * fallbacks) / requests, { step: 0.1 });
    const lookups = sumOf(samples, P.cacheLookups);
    const hits = sumOf(samples, P.cacheLookups, { result: 'hit' });
    expectShown(shown['cache-hit-rate']!, lookups === 0 ? 0 : (100 * hits) / lookups, {
      step: 0.1,
    });
    expectUsdShown(shown['cost-per-hour']!, data.lastFiveMinutes.costPerHourUsd);
    expectShown(shown['requests-per-minute']!, data.lastMinute.requestsPerMinute, { step: 0.1 });
    expect(data.lastMinute.requestsPerMinute).toBeCloseTo(
      (data.lastMinute.requests * 60_000) / data.lastMinute.spanMs,
      9,
    );

    // The costliest task type, in the bar chart, with its spend from /metrics.
    const bars = await page.$$eval('#chart-task-types .bar-row', (rows) =>
      rows.map((row) => [
        row.getAttribute('data-label'),
        row.querySelector('.bar-text')?.textContent,
      ]),
    );
    expect(bars[0]![0]).toBe('reasoning');
    const reasoningUsd = sumOf(samples, P.requestCost, { task_type: 'reasoning' });
    expectUsdShown(bars[0]![1]!, reasoningUsd);

    // The open breaker, as /metrics has it.
    const cheapId = `cheap/openai/${CHEAP}`;
    expect(sumOf(samples, P.breakerState, { deployment: cheapId, state: 'open' })).toBe(1);
    const breakerState = await page.textContent(`#breakers tr[data-deployment="${cheapId}"] .pill`);
    expect(breakerState).toBe('open');
    expect(await page.locator('#policies tr[data-policy]').count()).toBeGreaterThan(0);

    // Charts, not only numbers: each line chart drew points.
    for (const id of ['chart-requests', 'chart-latency', 'chart-cost', 'chart-quality']) {
      const points = Number(await page.getAttribute(`#${id}`, 'data-points'));
      expect(points, id).toBeGreaterThan(10);
      expect(await page.locator(`#${id} .series`).count(), id).toBeGreaterThan(0);
    }
  }, 90_000);
});
