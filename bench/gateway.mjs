#!/usr/bin/env node
/**
 * `npm run bench`: Switchyard's overhead and throughput against the
 * simulator directly and against the Portkey gateway, measured side by side
 * on this machine. Runs are bounded, interleaved (the target order rotates
 * every round) and repeated; medians are reported in BENCHMARKS.md.
 *
 *   node bench/gateway.mjs [--rounds 5] [--duration 8] [--rate 500]
 *     [--connections 50] [--out BENCHMARKS.md] [--profile] [--no-portkey]
 *     [--scenarios passthrough-paced,structured-saturation,...]
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { median } from '../dist/eval/percentile.js';
import { summariseProfile } from './lib/cpu-profile.mjs';
import { buildTargets, checkTargets, probeCache } from './lib/gateway-targets.mjs';
import { gatewayMarkdown, judgeTargets } from './lib/gateway-report.mjs';
import { runAutocannon, runPaced } from './lib/load.mjs';
import { describeMachine, loadAverage } from './lib/machine.mjs';
import { writeSection } from './lib/report-file.mjs';
import {
  checkBuilt,
  liftSimulatorRateLimit,
  ROOT,
  singleProviderConfig,
  startFloorProxyProcess,
  startPortkeyProcess,
  startSimulatorProcess,
  startSwitchyardProcess,
} from './lib/stack.mjs';

const PASSTHROUGH = ['direct', 'floor', 'switchyard', 'portkey'];
const STRUCTURED = [
  'direct-structured',
  'switchyard-structured',
  'switchyard-route',
  'portkey-structured',
];
const CACHE = ['direct-structured', 'switchyard-cache'];

/** Scenario id, how it loads, the target the others are compared with. */
const SCENARIOS = [
  { id: 'passthrough-paced', mode: 'paced', baseline: 'direct', targets: PASSTHROUGH },
  // Only with --scenarios: autocannon sends each second's share back to back.
  {
    id: 'passthrough-rate',
    mode: 'autocannon-rate',
    baseline: 'direct',
    targets: PASSTHROUGH,
    extra: true,
  },
  { id: 'passthrough-saturation', mode: 'saturation', baseline: 'direct', targets: PASSTHROUGH },
  { id: 'structured-paced', mode: 'paced', baseline: 'direct-structured', targets: STRUCTURED },
  {
    id: 'structured-saturation',
    mode: 'saturation',
    baseline: 'direct-structured',
    targets: STRUCTURED,
  },
  { id: 'cache-paced', mode: 'paced', baseline: 'direct-structured', targets: CACHE, cache: true },
  {
    id: 'cache-saturation',
    mode: 'saturation',
    baseline: 'direct-structured',
    targets: CACHE,
    cache: true,
  },
];

const say = (line) => process.stdout.write(`${line}\n`);

function readOptions() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '8' },
      rate: { type: 'string', default: '500' },
      connections: { type: 'string', default: '50' },
      out: { type: 'string', default: join(ROOT, 'BENCHMARKS.md') },
      profile: { type: 'boolean', default: false },
      'no-portkey': { type: 'boolean', default: false },
      scenarios: { type: 'string' },
    },
  });
  return {
    rounds: Math.max(1, Number(values.rounds)),
    durationSec: Math.max(1, Number(values.duration)),
    ratePerSec: Math.max(1, Number(values.rate)),
    connections: Math.max(1, Number(values.connections)),
    out: values.out,
    profile: values.profile,
    portkey: !values['no-portkey'],
    only: values.scenarios?.split(',').map((id) => id.trim()),
    argv: process.argv.slice(2),
  };
}

function runOnce({ target, mode, options }) {
  const { durationSec, ratePerSec, connections } = options;
  if (mode === 'paced') return runPaced(target, { ratePerSec, durationSec, connections: 64 });
  if (mode === 'autocannon-rate') {
    return runAutocannon(target, { connections, durationSec, overallRate: ratePerSec });
  }
  return runAutocannon(target, { connections, durationSec });
}

/** Rounds × scenarios × targets, rotating the target order each round. */
async function measure({ targets, scenarios, options }) {
  const runs = {};
  for (let round = 0; round < options.rounds; round++) {
    for (const scenario of scenarios) {
      const ids = scenario.targets.filter((id) => targets[id]);
      const order = ids.map((_, i) => ids[(i + round) % ids.length]);
      for (const id of order) {
        const summary = await runOnce({ target: targets[id], mode: scenario.mode, options });
        ((runs[scenario.id] ??= {})[id] ??= []).push(summary);
        say(
          `round ${round + 1} ${scenario.id.padEnd(22)} ${id.padEnd(22)} ` +
            `${summary.rps.toFixed(0).padStart(6)} req/s  p50 ${summary.p50Ms.toFixed(2)} ms  ` +
            `p99 ${summary.p99Ms.toFixed(2)} ms  non-2xx ${summary.non2xx}  errors ${summary.errors}`,
        );
        await delay(300);
      }
    }
  }
  return runs;
}

/** Medians over rounds; added latency is the median of per-round differences. */
function aggregate({ runs, scenarios }) {
  const results = {};
  for (const scenario of scenarios) {
    const byTarget = runs[scenario.id];
    if (!byTarget) continue;
    const base = byTarget[scenario.baseline] ?? [];
    results[scenario.id] = {};
    for (const [id, list] of Object.entries(byTarget)) {
      const m = (key) => median(list.map((run) => run[key]));
      const added = (key) => median(list.map((run, i) => run[key] - (base[i]?.[key] ?? NaN)));
      results[scenario.id][id] = {
        rounds: list.length,
        rps: m('rps'),
        p50Ms: m('p50Ms'),
        p90Ms: m('p90Ms'),
        p99Ms: m('p99Ms'),
        addedP50Ms: id === scenario.baseline ? 0 : added('p50Ms'),
        addedP99Ms: id === scenario.baseline ? 0 : added('p99Ms'),
        non2xx: list.reduce((sum, run) => sum + run.non2xx, 0),
        errors: list.reduce((sum, run) => sum + run.errors, 0),
        dispatchLagP99Ms: m('dispatchLagP99Ms'),
        perRound: list,
      };
    }
  }
  return results;
}

/**
 * Warms every target (JIT, tokenizer tables, keep-alive pools) until two
 * consecutive short runs agree within 15%, at most four runs each, so the
 * first measured scenario does not pay for start-up.
 */
async function warmUp(targets) {
  for (const [id, target] of Object.entries(targets)) {
    let previous = 0;
    for (let run = 0; run < 4; run++) {
      const { rps } = await runAutocannon(target, { connections: 16, durationSec: 2 });
      if (previous > 0 && Math.abs(rps - previous) / previous < 0.15) break;
      previous = rps;
    }
    say(`warmed ${id}`);
  }
}

/**
 * Profiles a fresh Switchyard under the passthrough and route loads, one
 * process (and one .cpuprofile) each, and ranks functions by self time.
 */
async function profileSwitchyard({ sim, options }) {
  const profiles = [];
  for (const scenario of ['switchyard', 'switchyard-route']) {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-cpu-prof-'));
    const gateway = await startSwitchyardProcess({
      configYaml: singleProviderConfig({ simUrl: sim.url }),
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    const target = buildTargets({ sim, switchyard: gateway })[scenario];
    const { ratePerSec, durationSec, connections } = options;
    await runPaced(target, { ratePerSec, durationSec, connections: 64 });
    await runAutocannon(target, { connections, durationSec });
    await gateway.stop();
    const file = join(
      dir,
      readdirSync(dir).find((name) => name.endsWith('.cpuprofile')),
    );
    profiles.push({ scenario, file, summary: summariseProfile({ file, root: ROOT }) });
    say(`profile of ${scenario}: ${file}`);
  }
  return profiles;
}

async function main() {
  checkBuilt();
  const options = readOptions();
  const machine = describeMachine();
  if (os.loadavg()[0] > machine.cores / 2) {
    say(`note: load average ${machine.load} on ${machine.cores} cores; figures will be noisy`);
  }
  const stack = [];
  try {
    const sim = await startSimulatorProcess();
    stack.push(sim);
    await liftSimulatorRateLimit(sim);
    const switchyard = await startSwitchyardProcess({
      configYaml: singleProviderConfig({ simUrl: sim.url }),
    });
    stack.push(switchyard);
    const portkey = options.portkey ? await startPortkeyProcess() : undefined;
    if (portkey) stack.push(portkey);
    const floor = await startFloorProxyProcess({ sim });
    stack.push(floor);
    say(`simulator ${sim.url}, switchyard ${switchyard.url}, portkey ${portkey?.url ?? 'off'}`);

    const targets = buildTargets({ sim, switchyard, portkey, floor });
    await checkTargets(targets);
    const cache = await probeCache(targets['switchyard-cache']);
    if (!cache.available) delete targets['switchyard-cache'];
    const scenarios = SCENARIOS.filter(
      (s) =>
        (!s.cache || cache.available) && (options.only ? options.only.includes(s.id) : !s.extra),
    );
    await warmUp(targets);

    const runs = await measure({ targets, scenarios, options });
    const memory = Object.fromEntries(stack.map((p) => [p.name, p.memoryMB()]));
    machine.loadEnd = loadAverage();
    const results = aggregate({ runs, scenarios });
    const verdicts = judgeTargets({ results, memory, options });
    const missed = verdicts.some((v) => v.met === false);
    const profiles =
      options.profile || missed ? await profileSwitchyard({ sim, options }) : undefined;

    const markdown = gatewayMarkdown({
      machine,
      options,
      targets,
      scenarios,
      results,
      memory,
      cache,
      verdicts,
      profiles,
    });
    writeSection({ file: options.out, name: 'gateway', markdown });
    for (const v of verdicts) {
      const mark = v.met === null ? 'n/a   ' : v.met ? 'met   ' : 'MISSED';
      say(`${mark} ${v.name}: ${v.measured}`);
    }
    say(`wrote ${options.out}`);
  } finally {
    for (const child of stack.reverse()) await child.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
