import { formatPct } from './baseline.js';
import type { EvalResult } from './run-eval.js';

const COLUMNS = [
  'model',
  'provider',
  'tier',
  'valid',
  'repaired',
  'refused',
  'p50 ms',
  'p95 ms',
  'cost USD',
  'answered',
  'upstream errors',
] as const;

/**
 * The per-model table `switchyard eval` prints: plain columns padded with
 * spaces, so it reads in a terminal and in a CI log alike.
 */
export function formatEvalReport(result: EvalResult): string {
  const rows = result.models.map((m) => [
    m.model,
    m.provider,
    m.tier,
    formatPct(m.validationSuccessPct),
    formatPct(m.repairRatePct),
    formatPct(m.refusalRatePct),
    formatMs(m.latencyP50Ms),
    formatMs(m.latencyP95Ms),
    m.costUsd.toFixed(6),
    `${m.answered}/${m.prompts}`,
    String(m.upstreamErrors),
  ]);
  const table = [[...COLUMNS], ...rows];
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const heading =
    `contract ${result.contract}: ${result.promptCount} prompts per model, ` +
    `started ${result.startedAt}`;
  const problems = result.models
    .filter((m) => m.firstProblem !== undefined)
    .map((m) => `  ${m.model}: first failure ${m.firstProblem}`);
  return [heading, ...lines, ...(problems.length > 0 ? ['', ...problems] : []), ''].join('\n');
}

function formatMs(value: number | null): string {
  return value === null ? '-' : String(Math.round(value));
}
