import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyEngine } from '../policies/policy-engine.js';
import type { PolicyChange } from '../policies/policy-change.js';
import { dashboardDataHandler, type DashboardData } from './dashboard-data.js';
import { dashboardPageHandler } from './dashboard-page.js';
import { DashboardStats } from './dashboard-stats.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => void handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function hashOf(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

describe('GET /dashboard', () => {
  it('serves one page whose CSP allows exactly its own inline script and style', async () => {
    const response = await fetch(await serve(dashboardPageHandler()));
    const html = await response.text();
    const csp = response.headers.get('content-security-policy') ?? '';
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(html)![1]!;

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(csp).toContain(`script-src ${hashOf(script)};`);
    expect(csp).toContain(`style-src ${hashOf(style)};`);
    expect(csp).toContain("default-src 'none'");
    // Nothing loaded from elsewhere: the machine it runs on may have no internet.
    expect(html).not.toMatch(/<script src=|\b(src|href)="https?:|url\(|@import/);
  });

  it('has a place on screen for every figure the issue lists', async () => {
    const html = await (await fetch(await serve(dashboardPageHandler()))).text();
    const metrics = [...html.matchAll(/data-metric="([^"]+)"/g)].map((m) => m[1]);

    expect(metrics).toEqual(
      expect.arrayContaining([
        'requests-per-minute',
        'latency-p50',
        'latency-p95',
        'latency-p99',
        'cost-per-hour',
        'cost-total',
        'validation-success',
        'fallback-rate',
        'cache-hit-rate',
      ]),
    );
    for (const id of ['chart-requests', 'chart-latency', 'chart-cost', 'chart-quality']) {
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).toContain('id="chart-task-types"');
    expect(html).toContain('id="breakers"');
    expect(html).toContain('id="policies"');
  });
});

describe('GET /dashboard/data', () => {
  const change = (i: number): PolicyChange => ({
    policy: 'schema_pause',
    action: i % 2 === 0 ? 'activated' : 'cleared',
    subject: 'm',
    reason: 'r',
    atMs: i,
    details: {},
  });

  it('lists every configured deployment, closed until its breaker says otherwise', async () => {
    const stats = new DashboardStats();
    const handler = dashboardDataHandler({
      stats,
      deploymentIds: ['cheap/openai/a', 'mid/openai/b', 'heavy/openai/c'],
      breakers: async () => [
        {
          deploymentId: 'mid/openai/b',
          state: 'open',
          openUntilMs: 123,
          consecutiveFailures: 0,
          windowRequests: 0,
          windowFailures: 0,
        },
        { deploymentId: 'heavy/openai/c', state: 'closed', consecutiveFailures: 2 },
      ],
    });
    const response = await fetch(await serve(handler));
    const data = (await response.json()) as DashboardData;

    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(data.breakers).toEqual([
      { deploymentId: 'cheap/openai/a', state: 'closed', consecutiveFailures: 0 },
      { deploymentId: 'mid/openai/b', state: 'open', openUntilMs: 123, consecutiveFailures: 0 },
      { deploymentId: 'heavy/openai/c', state: 'closed', consecutiveFailures: 2 },
    ]);
    expect(data.policies).toBeNull();
    expect(data.totals.requests).toBe(0);
  });

  it('still answers, with breakers null, when the breaker store cannot be read', async () => {
    const handler = dashboardDataHandler({
      stats: new DashboardStats(),
      breakers: async () => {
        throw new Error('connection refused');
      },
    });
    const data = (await (await fetch(await serve(handler))).json()) as DashboardData;

    expect(data.breakers).toBeNull();
    expect(data.lastMinute.requests).toBe(0);
  });

  it("shows the policies' listing with its ten latest changes", async () => {
    const engine = new PolicyEngine({ tierOrder: ['cheap', 'mid'] });
    const listing = engine.list();
    const changes = Array.from({ length: 14 }, (_, i) => change(14 - i));
    const handler = dashboardDataHandler({
      stats: new DashboardStats(),
      breakers: () => [],
      policies: () => ({ ...listing, recentChanges: changes }),
    });
    const data = (await (await fetch(await serve(handler))).json()) as DashboardData;

    expect(data.policies?.recentChanges.map((c) => c.atMs)).toEqual([
      14, 13, 12, 11, 10, 9, 8, 7, 6, 5,
    ]);
    expect(data.policies?.latency.enabled).toBe(listing.latency.enabled);
  });
});
