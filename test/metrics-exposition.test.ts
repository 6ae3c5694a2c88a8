import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROMETHEUS_NAMES } from '../src/telemetry/metric-names.js';
import {
  CHEAP,
  EVERY_KIND_STATUSES,
  openCheapBreaker,
  sendEveryKind,
  tripCostCapPolicy,
  startObservedGateway,
  type ObservedGateway,
} from './support/observed-gateway.js';
import { parseExposition, seriesLabels } from './support/exposition.js';
import { metricNamesIn, selectorsIn } from './support/promql-names.js';
import { describeWithTool, PROMTOOL } from './support/required-tool.js';
import { runTool } from './support/run-tool.js';

const ROOT = join(import.meta.dirname, '..');

/**
 * promtool's naming lint (not a format error): the two histograms keep the
 * `_ms` names the issue gives them (`ai.request.latency_ms`), where
 * Prometheus' convention is base units (`_seconds`). Any other finding fails.
 */
const KNOWN_NAMING_LINTS = [
  'ai_gateway_overhead_ms metric names should not contain abbreviated units',
  'ai_request_latency_ms metric names should not contain abbreviated units',
];

/** Every PromQL expression of the alert rules and the Grafana dashboard. */
function deployedExpressions(): string[] {
  const rules = parse(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { expr: string }[] }[];
  };
  const dashboard = JSON.parse(
    readFileSync(join(ROOT, 'deploy/grafana/switchyard.json'), 'utf8'),
  ) as { panels: { targets?: { expr: string }[] }[] };
  return [
    ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ];
}

describeWithTool(PROMTOOL, 'GET /metrics of a live gateway', (promtool) => {
  let gateway: ObservedGateway;
  let statuses: number[];
  let exposition: string;

  beforeAll(async () => {
    gateway = await startObservedGateway();
    statuses = [
      ...(await sendEveryKind(gateway)),
      ...(await openCheapBreaker(gateway)),
      ...(await tripCostCapPolicy(gateway)),
    ];
    exposition = await gateway.metricsText();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('answered each kind of request as intended', () => {
    expect(statuses).toEqual([...EVERY_KIND_STATUSES, 200, 200, 200, 200, 200, 200, 200, 200]);
  });

  it('is valid Prometheus text by promtool check metrics', async () => {
    const run = await runTool({ path: promtool, args: ['check', 'metrics'], stdin: exposition });
    const findings = (run.stdout + run.stderr).split('\n').filter((line) => line.trim() !== '');

    // Exit 1 is a format error; 3 is lint findings only.
    expect(run.code).not.toBe(1);
    expect(findings.sort()).toEqual(KNOWN_NAMING_LINTS);
  });

  it('shows each kind of request in its series', () => {
    const value = (pattern: RegExp) => Number(pattern.exec(exposition)?.[1]);

    expect(
      value(/^ai_cost_cap_breaches_total\{[^}]*task_type="classification"[^}]*\} (\S+)$/m),
    ).toBe(1);
    // Over-cap reasoning requests were served by the fallback: skips, not breaches.
    // The 429 round, then each over-cap reasoning request: the fallback tier served.
    const fallbacks = [...exposition.matchAll(/^ai_request_fallbacks_total\{[^}]*\} (\S+)$/gm)];
    expect(fallbacks.reduce((sum, match) => sum + Number(match[1]), 0)).toBe(6);
    expect(
      value(
        /^ai_request_fallbacks_total\{[^}]*task_type="reasoning"[^}]*tier="local"[^}]*\} (\S+)$/m,
      ),
    ).toBe(5);
    expect(exposition).toMatch(
      /^ai_policy_changes_total\{policy="cost_cap_breaker",action="activated"[^}]*\} \d+$/m,
    );
    expect(exposition).toMatch(/^ai_breaker_transitions_total\{[^}]*to="open"[^}]*\} \d+$/m);
    expect(value(/^ai_schema_validation_result_total\{status="repaired"[^}]*\} (\S+)$/m)).toBe(1);
    expect(exposition).toMatch(/^ai_schema_validation_result_total\{status="invalid"/m);
    expect(exposition).toMatch(/^ai_request_retries_total\{reason="rate_limited"/m);
    expect(exposition).toMatch(
      new RegExp(
        `^ai_breaker_state\\{deployment="cheap/openai/${CHEAP}",state="open"[^}]*\\} 1$`,
        'm',
      ),
    );
  });

  it('holds every series, with every label, that the alerts and the Grafana dashboard select', () => {
    const live = seriesLabels(parseExposition(exposition));
    const gateway = new Set(Object.values(PROMETHEUS_NAMES));
    // Budget rejections need API keys with budgets (issue 4), which this
    // gateway has none of; their name is checked against PROMETHEUS_NAMES only.
    gateway.delete(PROMETHEUS_NAMES.budgetRejections);
    const isGateway = (name: string) =>
      gateway.has(name) || gateway.has(name.replace(/_(bucket|sum|count)$/, ''));
    const missing: string[] = [];
    for (const expr of deployedExpressions()) {
      for (const name of metricNamesIn(expr).filter(isGateway)) {
        if (!live.has(name)) missing.push(name);
      }
      for (const { metric, labels } of selectorsIn(expr).filter((s) => isGateway(s.metric))) {
        for (const label of labels) {
          if (!live.get(metric)?.has(label)) missing.push(`${metric}{${label}}`);
        }
      }
    }

    expect([...new Set(missing)]).toEqual([]);
  });
});
