import type { CostReport, GroupView } from './cost-report.js';
import { percent } from './cost-report.js';
import { formatUsd } from './format-usd.js';

const GROUP_HEADERS = [
  'Requests',
  'Attempts',
  'Input',
  'Cached input',
  'Cache write',
  'Output',
  'Reasoning',
  'Cost',
];

/** The report for a terminal: a summary line, three splits and the cost breakdown. */
export function renderReportTable(report: CostReport): string {
  const { totals, period } = report;
  const rate = (value: number | null) => (value === null ? 'n/a' : percent(value));
  const summary = [
    `Switchyard cost report, ${period.from} to ${period.to} (${period.days} days)`,
    '',
    `Requests ${totals.requests}, attempts ${totals.attempts}, cost ${formatUsd(totals.cost_usd)}; ` +
      `fallback rate ${rate(totals.fallback_rate)}, cache-hit rate ${rate(totals.cache_hit_rate)}, ` +
      `error rate ${rate(totals.error_rate)}`,
  ];
  const heavy = report.heavy_counterfactual;
  if (heavy) {
    summary.push(
      `All requests on ${heavy.model} would have cost ${formatUsd(heavy.cost_usd)}: ` +
        `saving ${formatUsd(heavy.saving_usd)}` +
        (heavy.saving_rate === null ? '' : ` (${percent(heavy.saving_rate)})`),
    );
  }
  const sections = [
    summary.join('\n'),
    groupSection('By tier', 'Tier', report.by_tier),
    groupSection('By model', 'Model', report.by_model),
    groupSection('By task type', 'Task type', report.by_task_type),
    'Cost breakdown\n' +
      pipeTable(
        ['Component', 'Cost', 'Notes'],
        report.breakdown.map((line) => [line.component, formatUsd(line.cost_usd), line.notes]),
        [false, true, false],
      ),
  ];
  return `${sections.join('\n\n')}\n`;
}

function groupSection(title: string, label: string, groups: GroupView[]): string {
  if (groups.length === 0) return `${title}\n(no requests)`;
  const rows = groups.map((group) => [
    group.name,
    String(group.requests),
    String(group.attempts),
    String(group.tokens.input_tokens),
    String(group.tokens.cached_input_tokens),
    String(group.tokens.cache_write_tokens),
    String(group.tokens.output_tokens),
    String(group.tokens.reasoning_tokens),
    formatUsd(group.cost_usd),
  ]);
  const alignRight = [false, ...GROUP_HEADERS.map(() => true)];
  return `${title}\n${pipeTable([label, ...GROUP_HEADERS], rows, alignRight)}`;
}

/** A Markdown-style table, padded so its columns line up in a terminal too. */
function pipeTable(headers: string[], rows: string[][], alignRight: boolean[]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells
      .map((cell, i) => (alignRight[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(' | ')} |`;
  const rule = `|${widths.map((width, i) => (alignRight[i] ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const CSV_HEADERS = [
  'section',
  'name',
  'requests',
  'attempts',
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'cost_usd',
  'value',
  'notes',
];

/**
 * The report as one CSV table: a row per tier, model and task type, then
 * the totals and rates (in `value`) and the breakdown lines (in `cost_usd`).
 */
export function renderReportCsv(report: CostReport): string {
  const rows: Array<Array<string | number | null>> = [CSV_HEADERS];
  const group = (section: string, view: GroupView) => [
    section,
    view.name,
    view.requests,
    view.attempts,
    view.tokens.input_tokens,
    view.tokens.cached_input_tokens,
    view.tokens.cache_write_tokens,
    view.tokens.output_tokens,
    view.tokens.reasoning_tokens,
    view.cost_usd,
    null,
    null,
  ];
  const { totals } = report;
  rows.push(group('total', { name: 'all', ...totals }));
  for (const view of report.by_tier) rows.push(group('tier', view));
  for (const view of report.by_model) rows.push(group('model', view));
  for (const view of report.by_task_type) rows.push(group('task_type', view));
  const metric = (name: string, value: number | null) =>
    rows.push(['rate', name, null, null, null, null, null, null, null, null, value, null]);
  metric('fallback_rate', totals.fallback_rate);
  metric('cache_hit_rate', totals.cache_hit_rate);
  metric('error_rate', totals.error_rate);
  metric('saving_rate', report.heavy_counterfactual?.saving_rate ?? null);
  for (const line of report.breakdown) {
    rows.push([
      'cost',
      line.component,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      line.cost_usd,
      null,
      line.notes,
    ]);
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
