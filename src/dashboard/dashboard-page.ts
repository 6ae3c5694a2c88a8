import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { APP_SCRIPT } from './dashboard-app-script.js';
import { CHARTS_SCRIPT } from './dashboard-charts-script.js';
import { DASHBOARD_CSS } from './dashboard-style.js';

const SCRIPT = CHARTS_SCRIPT + APP_SCRIPT;

interface Tile {
  metric: string;
  label: string;
  sub: string;
}

const TILES: readonly Tile[] = [
  { metric: 'requests-per-minute', label: 'Requests / min', sub: 'last minute' },
  { metric: 'latency-p50', label: 'Latency p50', sub: 'last 5 min' },
  { metric: 'latency-p95', label: 'Latency p95', sub: 'last 5 min' },
  { metric: 'latency-p99', label: 'Latency p99', sub: 'last 5 min' },
  { metric: 'cost-per-hour', label: 'Cost / hour', sub: 'at the last 5 min rate' },
  { metric: 'cost-total', label: 'Cost total', sub: 'since start' },
  { metric: 'validation-success', label: 'Validation success', sub: 'last 5 min' },
  { metric: 'fallback-rate', label: 'Fallback rate', sub: 'last 5 min' },
  { metric: 'cache-hit-rate', label: 'Cache hit rate', sub: 'last 5 min' },
];

const CHARTS: readonly { id: string; title: string }[] = [
  { id: 'chart-requests', title: 'Requests per minute' },
  { id: 'chart-latency', title: 'Latency p50 / p95 / p99 (200 ms target dashed)' },
  { id: 'chart-cost', title: 'Cost per hour' },
  { id: 'chart-quality', title: 'Validation success, fallback and cache hit rates' },
];

function tileHtml(tile: Tile): string {
  return (
    `<div class="tile"><div class="label">${tile.label}</div>` +
    `<div class="value" data-metric="${tile.metric}">\u2013</div>` +
    `<div class="sub">${tile.sub}</div></div>`
  );
}

function chartHtml(chart: { id: string; title: string }): string {
  return `<div class="card"><h2>${chart.title}</h2><svg class="chart" id="${chart.id}"></svg></div>`;
}

/** The whole page; every dynamic value is filled in by the script with `textContent`. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard dashboard</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<header><h1>Switchyard</h1><span>live gateway dashboard</span>
<span class="status" id="status">connecting\u2026</span></header>
<main>
<section class="tiles">${TILES.map(tileHtml).join('')}</section>
<section class="charts">${CHARTS.map(chartHtml).join('')}</section>
<section class="lower">
<div class="card"><h2>Costliest task types (since start)</h2>
<svg class="bars" id="chart-task-types"></svg></div>
<div class="card"><h2>Circuit breakers</h2>
<table><thead><tr><th>deployment</th><th>state</th><th></th></tr></thead>
<tbody id="breakers"></tbody></table></div>
<div class="card"><h2>Self-steering policies</h2>
<table><tbody id="policies"></tbody></table>
<h3>Recent changes</h3><ul class="changes" id="policy-changes"></ul></div>
</section>
</main>
<footer>Since <span data-metric="started-at">\u2013</span>
<span>requests <b data-metric="total-requests">\u2013</b></span>
<span>errors <b data-metric="total-errors">\u2013</b></span>
<span>validation success <b data-metric="total-validation-success">\u2013</b></span>
<span>fallbacks <b data-metric="total-fallbacks">\u2013</b></span>
<span>cache hits <b data-metric="total-cache-hits">\u2013</b></span>
<span>cost <b data-metric="cost-total">\u2013</b></span></footer>
<script>${SCRIPT}</script>
</body>
</html>
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The page may run its own inline script and style (by hash) and fetch from
 * its own origin, nothing else: no other scripts, frames or form targets.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(DASHBOARD_CSS)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `GET /dashboard`: the live dashboard, one self-contained HTML page (its
 * script and style inline, no CDN, no build step) that polls
 * `GET /dashboard/data`.
 *
 * Neither route asks for a token, like `GET /metrics`: anyone who can reach
 * the gateway can read its traffic, costs and breaker states (never prompts
 * or keys), so the port belongs on a private network or behind a proxy
 * that authenticates.
 */
export function dashboardPageHandler() {
  const body = Buffer.from(DASHBOARD_HTML, 'utf8');
  return async function dashboardPage(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': body.length,
      'cache-control': 'no-store',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  };
}
