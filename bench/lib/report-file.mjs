/**
 * BENCHMARKS.md holds one section per benchmark between marker comments, so
 * `npm run bench` and `npm run bench:workload` each replace their own
 * section and leave the other's figures in place.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const HEADER = `# Benchmarks

Measured on one machine by the scripts in \`bench/\`, which write this file.
Every figure below is what the script printed on the date shown; rerun them
to check (\`npm run bench\`, \`npm run bench:workload\`). Targets are read from
these reports, never asserted by a timed test.
`;

export function writeSection({ file, name, markdown }) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from >= 0 && to > from) {
    text = text.slice(0, from) + block + text.slice(to + end.length);
  } else {
    text = `${text.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}

/** A markdown table from a header row and body rows. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const ms = (value) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
export const int = (value) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
export const pct = (value, digits = 2) =>
  Number.isFinite(value) ? `${value.toFixed(digits)}%` : 'n/a';
