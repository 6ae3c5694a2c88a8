import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gatewaySeriesNames, metricNamesIn } from './support/promql-names.js';
import { describeWithTool, PROMTOOL } from './support/required-tool.js';
import { runTool } from './support/run-tool.js';

const DIR = join(import.meta.dirname, '..', 'deploy', 'prometheus');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}

interface RuleTest {
  alertname: string;
  exp_alerts: unknown[];
}

function rules(): Rule[] {
  const file = parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as {
    groups: { rules: Rule[] }[];
  };
  return file.groups.flatMap((group) => group.rules);
}

function ruleTests(): RuleTest[] {
  const file = parse(readFileSync(join(DIR, 'alerts.test.yml'), 'utf8')) as {
    tests: { alert_rule_test: RuleTest[] }[];
  };
  return file.tests.flatMap((test) => test.alert_rule_test);
}

describe('deploy/prometheus/alerts.yml', () => {
  it('has the four alerts the issue asks for, with their hold times', () => {
    const byName = Object.fromEntries(rules().map((rule) => [rule.alert, rule]));

    expect(Object.keys(byName).sort()).toEqual([
      'SwitchyardBreakerOpen',
      'SwitchyardCostCapBreach',
      'SwitchyardLatencyP95High',
      'SwitchyardSchemaFailureRateHigh',
    ]);
    expect(byName.SwitchyardLatencyP95High!.expr).toMatch(/histogram_quantile\(0\.95,/);
    expect(byName.SwitchyardLatencyP95High!.expr).toMatch(/> 200\s*$/);
    expect(byName.SwitchyardLatencyP95High!.for).toBe('5m');
    expect(byName.SwitchyardSchemaFailureRateHigh!.expr).toMatch(/\[15m\]/);
    expect(byName.SwitchyardSchemaFailureRateHigh!.expr).toMatch(/> 0\.02\s*$/);
    expect(byName.SwitchyardBreakerOpen!.for).toBe('10m');
  });

  it('selects only series the gateway exposes', () => {
    const known = gatewaySeriesNames();
    const used = rules().flatMap((rule) => metricNamesIn(rule.expr));

    expect(used.length).toBeGreaterThanOrEqual(4);
    expect(used.filter((name) => !known.has(name))).toEqual([]);
  });

  it('has a firing case and a silent case for every alert in alerts.test.yml', () => {
    const cases = ruleTests();
    for (const { alert } of rules()) {
      const mine = cases.filter((test) => test.alertname === alert);
      expect(
        mine.some((test) => test.exp_alerts.length > 0),
        `${alert} fires`,
      ).toBe(true);
      expect(
        mine.some((test) => test.exp_alerts.length === 0),
        `${alert} silent`,
      ).toBe(true);
    }
  });
});

describeWithTool(PROMTOOL, 'deploy/prometheus/alerts.yml under promtool', (promtool) => {
  it('passes promtool check rules', async () => {
    const run = await runTool({ path: promtool, args: ['check', 'rules', 'alerts.yml'], cwd: DIR });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SUCCESS: 4 rules found');
  });

  it('fires on each bad synthetic series and stays silent on the healthy ones', async () => {
    const run = await runTool({
      path: promtool,
      args: ['test', 'rules', 'alerts.test.yml'],
      cwd: DIR,
    });

    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.code).toBe(0);
  });
});
