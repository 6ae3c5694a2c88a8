import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { gatewaySeriesNames, metricNamesIn } from './support/promql-names.js';
import { describeWithTool, PROMTOOL } from './support/required-tool.js';
import { runTool } from './support/run-tool.js';

const FILE = join(import.meta.dirname, '..', 'deploy', 'grafana', 'switchyard.json');

/** What vLLM and llama.cpp server export, for the self-hosted panels. */
const SELF_HOSTED = [
  'vllm:gpu_cache_usage_perc',
  'vllm:kv_cache_usage_perc',
  'vllm:num_requests_running',
  'llamacpp:kv_cache_usage_ratio',
  'llamacpp:requests_processing',
];

interface Target {
  expr: string;
  refId: string;
  datasource?: { type: string; uid: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { type: string; name: string; query: unknown }[] };
}

const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as Dashboard;
const queryPanels = dashboard.panels.filter((panel) => panel.type !== 'row');
const targets = queryPanels.flatMap((panel) => panel.targets ?? []);

/** An expression as Prometheus would get it from Grafana, variables filled in. */
function filled(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$region', '.*');
}

describe('deploy/grafana/switchyard.json', () => {
  it('is a Grafana dashboard model with a Prometheus data source variable', () => {
    const variables = dashboard.templating.list;

    expect(dashboard.uid).toBe('switchyard');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(variables).toContainEqual(
      expect.objectContaining({ type: 'datasource', name: 'datasource', query: 'prometheus' }),
    );
    for (const panel of queryPanels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource, panel.title).toEqual(panel.datasource);
      }
    }
  });

  it('lays its panels out without overlaps, inside 24 columns, with unique ids', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);

    const taken = new Set<string>();
    for (const { title, gridPos } of dashboard.panels) {
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(taken.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
          taken.add(`${x},${y}`);
        }
      }
    }
  });

  it('names only metrics the gateway exposes, or the self-hosted servers export', () => {
    const known = new Set([...gatewaySeriesNames(), ...SELF_HOSTED]);
    const used = targets.flatMap((target) => metricNamesIn(target.expr));

    expect(used.filter((name) => !known.has(name))).toEqual([]);
    expect(new Set(used)).toEqual(expect.objectContaining({ size: expect.any(Number) }));
    for (const name of SELF_HOSTED) expect(used).toContain(name);
  });

  it('shows what the issue asks for', () => {
    const exprs = targets.map((target) => target.expr).join('\n');

    for (const q of ['0.5', '0.95', '0.99']) {
      expect(exprs).toContain(`histogram_quantile(${q}, sum by (le) (rate(ai_request_latency_ms`);
    }
    expect(exprs).toMatch(/increase\(ai_request_cost_usd_total\{[^}]*\}\[24h\]\)/);
    expect(exprs).toContain('ai_schema_validation_result_total{status=~"valid|repaired"');
    expect(exprs).toContain('ai_request_fallbacks_total');
    expect(exprs).toContain('ai_breaker_state{state="open"');
    expect(exprs).toContain('ai_cache_lookups_total{result="hit"');
  });
});

describeWithTool(PROMTOOL, 'deploy/grafana/switchyard.json under promtool', (promtool) => {
  it('has only PromQL that Prometheus parses', async () => {
    // promtool parses expressions in rule files: one recording rule per query.
    const rules = targets.map((target, i) => ({
      record: `dashboard:query_${i}`,
      expr: filled(target.expr),
    }));
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-grafana-'));
    writeFileSync(join(dir, 'queries.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    const run = await runTool({
      path: promtool,
      args: ['check', 'rules', 'queries.yml'],
      cwd: dir,
    });

    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`SUCCESS: ${targets.length} rules found`);
    expect(run.code).toBe(0);
  });
});
