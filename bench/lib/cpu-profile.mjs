/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and ranks functions by
 * self time: the samples taken while that function itself was on top of the
 * stack. Percentages are of busy time (idle and GC-free program time), so a
 * lightly loaded run does not hide its hot spots behind "(idle)".
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';

const NOT_BUSY = new Set(['(idle)', '(program)']);

export function summariseProfile({ file, top = 15, root = process.cwd() }) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const selfUs = new Map();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });

  const byFunction = new Map();
  const byFile = new Map();
  const inclusive = inclusiveTimes({ profile, nodes, parents, root });
  let busyUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id).callFrame;
    totalUs += us;
    if (NOT_BUSY.has(frame.functionName)) continue;
    busyUs += us;
    const where = shortUrl(frame.url, root);
    const name = `${where}:${frame.functionName || '(anonymous)'}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(where, (byFile.get(where) ?? 0) + us);
  }
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, busyPct: (us / busyUs) * 100 }));
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    functions: rank(byFunction),
    files: rank(byFile),
    inclusive: rank(inclusive),
  };
}

/**
 * Total (inclusive) time of our own functions and of each package: every
 * busy sample counts once for each of them on its stack. Shows which part
 * of the request path costs what, callees included (self time cannot: the
 * time of a JSON.stringify lands on "(native)").
 */
function inclusiveTimes({ profile, nodes, parents, root }) {
  const totals = new Map();
  profile.samples.forEach((id, index) => {
    if (NOT_BUSY.has(nodes.get(id).callFrame.functionName)) return;
    const us = profile.timeDeltas[index] ?? 0;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parents.get(at)) {
      const key = inclusiveKey(nodes.get(at).callFrame, root);
      if (key === undefined || seen.has(key)) continue;
      seen.add(key);
      totals.set(key, (totals.get(key) ?? 0) + us);
    }
  });
  return totals;
}

function inclusiveKey(frame, root) {
  const packageName = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1];
  if (packageName) return `package ${packageName}`;
  if (!frame.url.startsWith('file://')) return undefined;
  const where = relative(root, fileURLToPath(frame.url));
  return where.startsWith('dist/') ? `${where}:${frame.functionName || '(anonymous)'}` : undefined;
}

function shortUrl(url, root) {
  if (!url) return '(native)';
  if (url.startsWith('file://')) return relative(root, fileURLToPath(url));
  return url;
}
