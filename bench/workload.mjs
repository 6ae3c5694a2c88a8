#!/usr/bin/env node
/**
 * `npm run bench:workload`: a month of traffic in miniature. The same
 * seeded stream of routed requests (65% classification, 25% extraction, 8%
 * reasoning, 2% other) goes, at the same moments, to a pair of gateways,
 * each in front of its own simulator with the same per-attempt defects and
 * faults and the same regional outage window:
 *
 *   - "routed": the task types map to cheap, mid and heavy (the product);
 *   - "all heavy": every task type maps to the heavy tier (what the cost
 *     reduction is measured against).
 *
 * A second pair (unless --no-unscaled) repeats it with 429s that ask for a
 * real second instead of a second on the compressed clock. Reports what
 * clients received (checked again against the contracts by the bench), the
 * fallback rate, retries and re-asks, and the cost of each run, to the
 * workload section of BENCHMARKS.md.
 *
 *   node bench/workload.mjs [--requests 10000] [--rate 60] [--outage-at 45]
 *     [--outage-pct 2.5] [--seed 20251201] [--month-requests 500000]
 *     [--no-unscaled] [--out BENCHMARKS.md]
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { describeMachine, loadAverage } from './lib/machine.mjs';
import { writeSection } from './lib/report-file.mjs';
import { checkBuilt, ROOT, startSimulatorProcess, startSwitchyardProcess } from './lib/stack.mjs';
import { applyNormalProfile, endOutage, LOCAL_MODEL, startOutage } from './lib/workload-faults.mjs';
import { buildWorkload, seededRandom } from './lib/workload-mix.mjs';
import {
  HEAVY_TIERS,
  planRuns,
  ROUTED_TIERS,
  TIER_MODELS,
  workloadConfig,
} from './lib/workload-plan.mjs';
import { workloadMarkdown } from './lib/workload-report.mjs';
import {
  buildValidators,
  judgeResponse,
  policyChanges,
  requestLogEntries,
  scoreClients,
  scoreLog,
} from './lib/workload-score.mjs';

const say = (line) => process.stdout.write(`${line}\n`);

/** Requests in flight (over all runs of a pair) past which the stream is held back. */
const MAX_IN_FLIGHT = 2000;

function readOptions() {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '10000' },
      rate: { type: 'string', default: '60' },
      'outage-at': { type: 'string', default: '45' },
      'outage-pct': { type: 'string', default: '2.5' },
      seed: { type: 'string', default: '20251201' },
      'month-requests': { type: 'string', default: '500000' },
      'no-unscaled': { type: 'boolean', default: false },
      out: { type: 'string', default: join(ROOT, 'BENCHMARKS.md') },
    },
  });
  return {
    requests: Math.max(1, Math.floor(Number(values.requests))),
    ratePerSec: Math.max(1, Number(values.rate)),
    outageAtPct: Number(values['outage-at']),
    outagePct: Math.max(0, Number(values['outage-pct'])),
    seed: Math.floor(Number(values.seed)),
    monthRequests: Math.max(1, Number(values['month-requests'])),
    unscaled: !values['no-unscaled'],
    out: values.out,
    argv: process.argv.slice(2),
  };
}

async function startRun(plan) {
  const sim = await startSimulatorProcess();
  const logLines = [];
  let gateway;
  try {
    gateway = await startSwitchyardProcess({
      configYaml: workloadConfig({ simUrl: sim.url, ...plan }),
      onLogLine: (line) => logLines.push(line),
    });
  } catch (error) {
    await sim.stop();
    throw error;
  }
  const pool = new Pool(gateway.url, { connections: 256, pipelining: 1 });
  return { ...plan, sim, gateway, pool, logLines, outcomes: [] };
}

async function stopRun(run) {
  await run.pool.close();
  await run.gateway.stop();
  await run.sim.stop();
}

async function send({ run, request, validators }) {
  const startedMs = performance.now();
  try {
    const response = await run.pool.request({
      path: '/v1/route',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: request.body,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await response.body.text();
    const latencyMs = performance.now() - startedMs;
    run.outcomes.push(
      judgeResponse({ request, status: response.statusCode, text, latencyMs, validators }),
    );
  } catch (error) {
    const latencyMs = performance.now() - startedMs;
    run.outcomes.push({
      index: request.index,
      taskType: request.taskType,
      status: 0,
      errorType: `client_${error.code ?? error.name}`,
      latencyMs,
    });
  }
}

/**
 * Open loop with Poisson arrivals at `ratePerSec` (seeded, so repeatable):
 * each request goes to every run at its due time, whether or not earlier
 * ones have been answered. The outage starts and ends at fixed request
 * indexes, so both runs see it over the same requests.
 */
async function drive({ runs, requests, options, validators }) {
  const random = seededRandom(options.seed + 1);
  const outageFrom = Math.floor((requests.length * options.outageAtPct) / 100);
  const outageTo = outageFrom + Math.floor((requests.length * options.outagePct) / 100);
  const inFlight = new Set();
  let heldBackMs = 0;
  const startedMs = performance.now();
  let dueMs = 0;
  const outage = { fromIndex: outageFrom, toIndex: outageTo };
  for (const request of requests) {
    if (request.index === outageFrom && outageTo > outageFrom) {
      await Promise.all(runs.map((run) => startOutage(run.sim.url)));
      outage.startedAtMs = performance.now() - startedMs;
      say(`outage starts at request ${outageFrom}`);
    }
    if (request.index === outageTo && outageTo > outageFrom) {
      await Promise.all(runs.map((run) => endOutage(run.sim.url, run)));
      outage.endedAtMs = performance.now() - startedMs;
      say(`outage ends at request ${outageTo}`);
    }
    dueMs += (-Math.log(1 - random()) / options.ratePerSec) * 1000;
    const waitMs = startedMs + dueMs - performance.now();
    if (waitMs > 1) await delay(waitMs);
    // Bounded: past MAX_IN_FLIGHT the gateways are not keeping up; hold the
    // stream back (and say so in the report) rather than pile up sockets.
    while (inFlight.size >= MAX_IN_FLIGHT) {
      const heldFromMs = performance.now();
      await Promise.race(inFlight);
      heldBackMs += performance.now() - heldFromMs;
    }
    for (const run of runs) {
      const pending = send({ run, request, validators });
      inFlight.add(pending);
      pending.finally(() => inFlight.delete(pending));
    }
    if (request.index % 1000 === 999) {
      const elapsedSec = ((performance.now() - startedMs) / 1000).toFixed(0);
      say(`${request.index + 1} requests sent, ${elapsedSec} s, ${inFlight.size} in flight`);
    }
  }
  // Every request has a 30 s deadline at the gateway; wait a little longer.
  await Promise.race([Promise.all(inFlight), delay(45_000, undefined, { ref: false })]);
  return {
    durationSec: (performance.now() - startedMs) / 1000,
    outage,
    unfinished: inFlight.size,
    heldBackMs,
  };
}

function score(run) {
  const startTiers = run.allHeavy ? HEAVY_TIERS : ROUTED_TIERS;
  const startModels = Object.fromEntries(
    Object.entries(startTiers).map(([task, tier]) => [task, TIER_MODELS[tier]]),
  );
  return {
    name: run.name,
    retryAfterMs: run.retryAfterMs,
    clients: scoreClients({ outcomes: run.outcomes, startTiers }),
    log: scoreLog({
      entries: requestLogEntries(run.logLines),
      localModel: LOCAL_MODEL,
      startModels,
    }),
    policies: policyChanges(run.logLines),
    memory: run.gateway.memoryMB(),
  };
}

async function main() {
  checkBuilt();
  const options = readOptions();
  const machine = describeMachine();
  const requests = buildWorkload({ count: options.requests, seed: options.seed });
  const validators = buildValidators(ROOT);
  const { scaled, runs: plans } = planRuns(options);
  say(
    `${requests.length} requests at ${options.ratePerSec}/s; clock ×${scaled.factor.toFixed(0)}: ` +
      `429 retry-after ${scaled.retryAfterMs} ms, breaker cool-down ${scaled.coolDownMs} ms`,
  );
  const results = [];
  const drives = [];
  // One pair at a time (routed and all heavy side by side), so pairs do not
  // compete for the machine.
  for (let i = 0; i < plans.length; i += 2) {
    const pair = plans.slice(i, i + 2);
    say(`driving ${pair.map((plan) => plan.name).join(' and ')}`);
    const { driven, scored } = await drivePair({ pair, requests, options, validators });
    drives.push(driven);
    results.push(...scored);
  }
  const driven = drives[0];
  machine.loadEnd = loadAverage();
  const markdown = workloadMarkdown({ machine, options, scaled, driven, drives, results });
  writeSection({ file: options.out, name: 'workload', markdown });
  for (let i = 0; i + 1 < results.length; i += 2) {
    const [routed, heavy] = [results[i], results[i + 1]];
    say(
      `${routed.name}: ${routed.clients.validationSuccessPct.toFixed(3)}% valid, ` +
        `fallback ${((routed.clients.fallback / routed.clients.total) * 100).toFixed(2)}%, ` +
        `retries ${routed.log.retries}, re-asks ${routed.log.reasks}, ` +
        `cost $${routed.log.costUsd.toFixed(4)} = ` +
        `${((routed.log.costUsd / heavy.log.costUsd) * 100).toFixed(1)}% of ` +
        `${heavy.name} $${heavy.log.costUsd.toFixed(4)}`,
    );
  }
  say(`wrote ${options.out}`);
}

/**
 * A few requests of each task type before the faults are switched on, so
 * the month does not begin with the gateway building its tokenizer tables
 * and compiling its hot paths. They are marked in their metadata and left
 * out of the scores.
 */
async function warmUp({ run, requests }) {
  const byTask = new Map();
  for (const request of requests) {
    const list = byTask.get(request.taskType) ?? [];
    if (list.length < 5) byTask.set(request.taskType, [...list, request]);
  }
  for (const request of [...byTask.values()].flat()) {
    const body = { ...JSON.parse(request.body), metadata: { warm_up: true } };
    const response = await run.pool.request({
      path: '/v1/route',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) {
      throw new Error(`${run.name}: warm-up got ${response.statusCode}: ${text.slice(0, 300)}`);
    }
  }
}

/** Starts a pair of runs, drives the requests through both, scores them, stops them. */
async function drivePair({ pair, requests, options, validators }) {
  const runs = [];
  try {
    for (const plan of pair) runs.push(await startRun(plan));
    for (const run of runs) await warmUp({ run, requests });
    for (const run of runs) await applyNormalProfile(run.sim.url, run);
    const driven = await drive({ runs, requests, options, validators });
    // Let the last request log lines reach us before the processes stop.
    await delay(500);
    return { driven, scored: runs.map(score) };
  } finally {
    for (const run of runs.reverse()) await stopRun(run);
  }
}

main().catch((error) => {
  process.stderr.write(`bench:workload: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
