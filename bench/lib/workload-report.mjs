/** The workload benchmark's section of BENCHMARKS.md, and its targets. */
import { machineMarkdown } from './machine.mjs';
import { int, ms, pct, table } from './report-file.mjs';
import {
  cloudFaultsPct,
  LATENCY_MS,
  LOCAL_FAULTS_PCT,
  OUTAGE_FAULTS_PCT,
} from './workload-faults.mjs';
import { MIX } from './workload-mix.mjs';

const MAX_NOTE = 'it is held back only while 2,000 requests are in flight';
const usd = (value) => (Number.isFinite(value) ? `$${value.toFixed(4)}` : 'n/a');
const share = (part, whole) => (whole > 0 ? (part / whole) * 100 : NaN);
const rates = (map) =>
  Object.entries(map)
    .map(([name, value]) => `\`${name}\` ${value}%`)
    .join(', ');

/** The issue's two targets, judged from the first pair of runs (routed, all heavy). */
export function judgeWorkload(results) {
  const [routed, heavy] = results;
  const costPct = share(routed.log.costUsd, heavy.log.costUsd);
  return [
    {
      name: 'validation success of what clients received ≥ 99.9%',
      measured: pct(routed.clients.validationSuccessPct, 3),
      met: routed.clients.validationSuccessPct >= 99.9,
    },
    {
      name: 'total cost ≤ 25% of sending every request to heavy',
      measured: `${pct(costPct, 1)} (${usd(routed.log.costUsd)} vs ${usd(heavy.log.costUsd)})`,
      met: costPct <= 25,
    },
  ];
}

function resultRows(results) {
  const row = (label, cell) => [label, ...results.map(cell)];
  const ofTotal = (r, n) => `${int(n)} (${pct(share(n, r.clients.total))})`;
  return [
    row('requests', (r) => int(r.clients.total)),
    row(
      '**valid payload received** (bench-checked)',
      (r) => `**${pct(r.clients.validationSuccessPct, 3)}** (${int(r.clients.valid)})`,
    ),
    row('200 with a payload failing its contract', (r) => int(r.clients.invalidButOk)),
    row(
      'errors received',
      (r) =>
        Object.entries(r.clients.errors)
          .map(([key, n]) => `${key}: ${n}`)
          .join('; ') || 'none',
    ),
    row('served by the fallback tier (`fallback: true`)', (r) => ofTotal(r, r.clients.fallback)),
    row('served by a heavier tier than its task type’s', (r) => ofTotal(r, r.clients.escalated)),
    row('first attempt away from its start tier (429 cool-down, open breaker, paused model)', (r) =>
      ofTotal(r, r.log.passedOver),
    ),
    row('repaired (fence, trailing comma)', (r) => ofTotal(r, r.clients.repaired)),
    row('cache hits', (r) => int(r.clients.cacheHits)),
    row('upstream attempts', (r) => int(r.log.attempts)),
    row(
      'retries after a transient failure',
      (r) =>
        `${int(r.log.retries)} (on ${pct(share(r.log.withRetry, r.log.requests))} of requests)`,
    ),
    row(
      're-asks after a validation failure',
      (r) => `${int(r.log.reasks)} (on ${pct(share(r.log.withReask, r.log.requests))} of requests)`,
    ),
    row('**total cost** (gateway log, every attempt)', (r) => `**${usd(r.log.costUsd)}**`),
    ...Object.keys(results[0].log.costByTask)
      .sort()
      .map((task) => row(`cost of ${task}`, (r) => usd(r.log.costByTask[task]))),
    row('client latency p50 / p95 / p99 ms', (r) =>
      [r.clients.latencyMs.p50, r.clients.latencyMs.p95, r.clients.latencyMs.p99]
        .map((v) => ms(v))
        .join(' / '),
    ),
    row(
      'policy changes logged',
      (r) =>
        Object.entries(r.policies)
          .map(([key, n]) => `${key} ×${n}`)
          .join('; ') || 'none',
    ),
    row('request log lines', (r) => int(r.log.requests)),
    row('gateway peak RSS MB', (r) => ms(r.memory.peakMB)),
  ];
}

export function workloadMarkdown({ machine, options, scaled, driven, drives, results }) {
  const verdicts = judgeWorkload(results);
  const { outage } = driven;
  const outageText =
    outage.toIndex > outage.fromIndex
      ? `from request ${outage.fromIndex} to request ${outage.toIndex} ` +
        `(${ms((outage.endedAtMs - outage.startedAtMs) / 1000)} s of the run)`
      : 'none';
  const attemptOutcomes = Object.entries(results[0].log.attemptOutcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${int(n)}`)
    .join(', ');
  return [
    '## Workload: a month in miniature (`npm run bench:workload`)',
    '',
    machineMarkdown(machine),
    '',
    'Command: `npm run build && node bench/workload.mjs' +
      (options.argv.length ? ` ${options.argv.join(' ')}` : '') +
      '` (`npm run bench:workload`).',
    '',
    `Method: ${int(options.requests)} \`/v1/route\` requests (seed ${options.seed}; ` +
      MIX.map((m) => `${m.taskType} ${m.sharePct}%`).join(', ') +
      '; `summary` has no contract file and sends an inline schema, so it goes to the default ' +
      `tier) arrive as a Poisson stream at ${options.ratePerSec} requests/s. Each request goes ` +
      'at the same moment to two Switchyard processes, each in front of its own simulator ' +
      'process: **routed** (classification → cheap `gpt-4o-mini-2024-07-18`, extraction and ' +
      'other → mid `gpt-4o-2024-08-06`, reasoning → heavy `o1-2024-12-17`) and **all heavy** ' +
      '(every task type → `o1-2024-12-17`). Both have a self-hosted fallback tier ' +
      '(`llama-3.1-8b-instruct` on an OpenAI-compatible server without `json_schema`, ' +
      '$0.0002 a request amortised), default retries (2, base 500 ms), one re-ask, and a ' +
      `breaker cool-down of ${int(scaled.coolDownMs)} ms (see the clock below), and the ` +
      'schema-pause and cost-cap policies at their defaults on that clock. The latency-downgrade ' +
      'policy is off in every run: its default threshold (p95 over 200 ms) is below the latency ' +
      'of any hosted model, so it would move extraction to the cheap tier for the whole month ' +
      'and the comparison would measure that policy instead of routing by task type. ' +
      'Every payload a client ' +
      'received is validated again by the bench with its own Ajv (formats on); cost is the ' +
      "sum of `cost_usd` over the gateway's request log, which prices every attempt, failed " +
      'requests included, at the shipped price table.',
    '',
    'Defects and faults, drawn independently for every upstream attempt (the benchmark’s ' +
      'assumptions, in `bench/lib/workload-faults.mjs`):',
    '',
    `- cloud models: ${rates(cloudFaultsPct({ retryAfterMs: scaled.retryAfterMs }))}`,
    `- the fallback model: ${rates(LOCAL_FAULTS_PCT)}`,
    `- regional outage ${outageText}: every cloud model answers ${rates(OUTAGE_FAULTS_PCT)}`,
    `- latency per model (ms): ${Object.entries(LATENCY_MS)
      .map(([model, value]) => `${model} ${value}`)
      .join(', ')}`,
    '',
    `The clock: a month of ${int(options.monthRequests)} requests (the volume of the note ` +
      `the targets come from) arrives over 30 days; this run sends them ` +
      `${scaled.factor.toFixed(0)} times faster. What acts across requests over time is divided ` +
      'by that factor so that each event touches as many requests as it would in the month: a ' +
      `429 asks for \`retry-after-ms: ${scaled.retryAfterMs}\` instead of \`retry-after: 1\`, ` +
      `a breaker stays open ${int(scaled.coolDownMs)} ms instead of 5 minutes, the policies' ` +
      `windows shrink the same way (schema pause: ${int(scaled.schemaWindowMs)} ms for 15 ` +
      'minutes), and the outage is measured in requests. ' +
      (results.length > 2
        ? 'The last two columns send the same requests with 429s that ask for a real second, ' +
          'as a gateway taking this many requests per second would see them: there each 429 ' +
          'turns the cheap tier away for a second of traffic.'
        : ''),
    '',
    '### Targets',
    '',
    table(
      ['target', 'measured', 'met'],
      verdicts.map((v) => [v.name, v.measured, v.met ? 'yes' : '**no**']),
    ),
    '',
    '### Results',
    '',
    table(['', ...results.map((r) => r.name)], resultRows(results)),
    '',
    `Attempt outcomes of the routed run: ${attemptOutcomes}.`,
    '',
    'Each column is one gateway process in front of its own simulator; the two columns of a ' +
      'pair ran at the same time, the pairs one after the other.',
    '',
    drives
      .map(
        (d, i) =>
          `Pair ${i + 1} (${results[2 * i].name} / ${results[2 * i + 1].name}): ` +
          `${ms(d.durationSec)} s; unanswered at the end ${d.unfinished}; ` +
          `stream held back ${ms(d.heldBackMs / 1000)} s (${MAX_NOTE}).`,
      )
      .join('\n'),
  ].join('\n');
}
