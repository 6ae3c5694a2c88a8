/** The facts about the machine a benchmark ran on, for the report. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function describeMachine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cores: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    load: os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' '),
    commit: gitCommit(),
    packages: packageVersions(['autocannon', '@portkey-ai/gateway', 'undici']),
  };
}

/** The 1, 5 and 15 minute load averages, as `uptime` prints them. */
export function loadAverage() {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

function gitCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' });
    return `${head.trim()}${dirty.trim() ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

function packageVersions(names) {
  const versions = {};
  for (const name of names) {
    try {
      const file = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
      versions[name] = JSON.parse(readFileSync(file, 'utf8')).version;
    } catch {
      versions[name] = 'not installed';
    }
  }
  return versions;
}

/** The machine as a markdown list. */
export function machineMarkdown(machine) {
  const packages = Object.entries(machine.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `- Date: ${machine.date}`,
    `- Machine: ${machine.cores} cores (${machine.cpuModel}), ` +
      `${machine.memoryGiB.toFixed(1)} GiB memory, ${machine.os}`,
    `- Node.js ${machine.node}; ${packages}`,
    `- Load average (1, 5, 15 min) at start: ${machine.load}` +
      (machine.loadEnd ? `; at the end: ${machine.loadEnd}` : '') +
      ` (${machine.cores} cores: a load above that means other work shared the machine)`,
    `- Commit: ${machine.commit}`,
  ].join('\n');
}
