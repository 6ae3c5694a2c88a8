import { PROMETHEUS_NAMES } from '../../src/telemetry/metric-names.js';

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
]);

// A name not glued to a word character, colon or dot before it, so the
// "m" of "10m" and the "e3" of "1e3" are not read as names.
const NAME = /(?<![\w:.$])[a-zA-Z_:][\w:]*/g;

/** The expression with strings, variables, matchers, ranges and groupings blanked. */
function skeleton(expr: string): string {
  return expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
}

/** The metric names a PromQL expression selects (functions and keywords left out). */
export function metricNamesIn(expr: string): string[] {
  const text = skeleton(expr);
  const names = new Set<string>();
  for (const match of text.matchAll(NAME)) {
    const name = match[0];
    const after = text.slice(match.index + name.length).trimStart();
    if (after.startsWith('(')) continue; // a function or an aggregation
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** Each `metric{label="…"}` selector of an expression, with the label names it matches on. */
export function selectorsIn(expr: string): { metric: string; labels: string[] }[] {
  const selectors: { metric: string; labels: string[] }[] = [];
  for (const match of expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
    const labels = [...match[2]!.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
    selectors.push({ metric: match[1]!, labels });
  }
  return selectors;
}

/** Every series name the gateway's exposition holds, histogram parts included. */
export function gatewaySeriesNames(): Set<string> {
  const names = new Set<string>(Object.values(PROMETHEUS_NAMES));
  const histograms = [PROMETHEUS_NAMES.requestLatency, PROMETHEUS_NAMES.gatewayOverhead];
  for (const name of histograms) {
    for (const part of ['_bucket', '_sum', '_count']) names.add(name + part);
  }
  return names;
}
