#!/usr/bin/env node
/**
 * How much of a short-lived object survives young-generation GCs, for the
 * shapes that `src/util/young-garbage.test.ts` keeps off the request path
 * and for what replaced them. Each case runs in its own `node
 * --trace-gc-nvp` process: every millisecond it builds twenty objects that
 * each hold an 800-byte array and drops them at once, so nothing should
 * survive a scavenge; the report is the bytes promoted per scavenge.
 *
 *   npm run bench:gc    (writes its section of BENCHMARKS.md)
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { table, writeSection } from './lib/report-file.mjs';

const LIGHT_ABORT = fileURLToPath(new URL('../dist/resilience/light-abort.js', import.meta.url));

const CASES = [
  ['{ ...a, b } (spread first, then a member)', 'const a = literal(); const o = { ...a, r: n };'],
  ['Object.assign({}, a, { b })', 'const a = literal(); const o = Object.assign({}, a, { r: n });'],
  ['{ b, ...a } (member first)', 'const a = literal(); const o = { r: n, ...a };'],
  [
    'literal with a getter over a local',
    'const held = base(); const o = { get t() { return held.a; } };',
  ],
  [
    'literal with a method over a local',
    'const held = base(); const o = { t() { return held.a; } };',
  ],
  [
    'new AbortController(), array on its signal',
    'const o = new AbortController().signal; o.held = base();',
  ],
  [
    'new LightAbortController(), array on its signal',
    'const o = new LightAbortController().signal; o.held = base();',
  ],
];

function run(body) {
  const script = `
    import { LightAbortController } from ${JSON.stringify(LIGHT_ABORT)};
    let n = 0, sink = 0;
    const literal = () => ({ a: 1, b: 'x', c: new Array(100).fill(0).map((x, i) => i + 0.5) });
    const base = () => ({ a: 1, b: 'x', c: new Array(100).fill(0).map((x, i) => i + 0.5) });
    const once = () => { ${body} sink += o ? 1 : 0; n++; };
    const timer = setInterval(() => { for (let i = 0; i < 20; i++) once(); }, 1);
    setTimeout(() => clearInterval(timer), 6000);
  `;
  const child = spawnSync(
    process.execPath,
    ['--trace-gc-nvp', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(child.stderr);
  const promoted = child.stdout
    .split('\n')
    .filter((line) => /gc=s /.test(line))
    .slice(2) // the first scavenges see start-up objects
    .map((line) => Number(/ promoted=(\d+)/.exec(line)[1]));
  const mean = promoted.reduce((sum, v) => sum + v, 0) / (promoted.length || 1);
  return { scavenges: promoted.length, meanKB: mean / 1024 };
}

const rows = CASES.map(([name, body]) => [name, run(body).meanKB.toFixed(0)]);
const markdown = `## Young-generation survival of request-path shapes (\`npm run bench:gc\`)

${new Date().toISOString().slice(0, 10)}, Node ${process.version} (V8 ${process.versions.v8}), ${os.cpus().length} cores.
Each case builds 20,000 short-lived objects a second, each holding an
800-byte array, and drops them at once; nothing should outlive a scavenge.
The column is the mean of what V8 promoted per scavenge (\`--trace-gc-nvp\`).
The rows with a figure well above zero are the shapes
\`src/util/young-garbage.test.ts\` keeps off the request path, and
\`LightAbortController\` (src/resilience/light-abort.ts) replaces Node's.

${table(['object built and dropped', 'KB promoted per scavenge'], rows)}
`;
process.stdout.write(`${markdown}\n`);
writeSection({
  file: fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)),
  name: 'gc-survival',
  markdown,
});
