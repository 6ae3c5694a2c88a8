/** The gateway benchmark's section of BENCHMARKS.md, and its targets. */
import { machineMarkdown } from './machine.mjs';
import { int, ms, table } from './report-file.mjs';

const MODE_TEXT = {
  paced: (o) =>
    `open loop at a steady ${o.ratePerSec} req/s for ${o.durationSec} s ` +
    '(own generator on undici, 64 keep-alive sockets)',
  'autocannon-rate': (o) =>
    `autocannon \`overallRate: ${o.ratePerSec}\`, ${o.connections} connections, ${o.durationSec} s`,
  saturation: (o) =>
    `autocannon, ${o.connections} connections, ${o.durationSec} s, as fast as it goes`,
};

const TITLES = {
  'passthrough-paced': 'Plain chat completion at a fixed rate (tail latency)',
  'passthrough-rate': 'Plain chat completion, autocannon `overallRate`',
  'passthrough-saturation': 'Plain chat completion at saturation',
  'structured-paced': 'Structured output (`json_schema`) and `/v1/route` at a fixed rate',
  'structured-saturation': 'Structured output (`json_schema`) and `/v1/route` at saturation',
  'cache-paced': 'Cache hit at a fixed rate',
  'cache-saturation': 'Cache hit at saturation',
};

/** The targets against the medians; `met` is null when not measurable. */
export function judgeTargets({ results, memory, options }) {
  const paced = results['passthrough-paced'] ?? {};
  const saturation = results['passthrough-saturation'] ?? {};
  const sy = paced.switchyard;
  const verdicts = [
    {
      name: `added p50 < 0.5 ms at ${options.ratePerSec} req/s`,
      met: sy ? sy.addedP50Ms < 0.5 : null,
      measured: sy ? `${ms(sy.addedP50Ms)} ms` : 'n/a',
    },
    {
      name: `added p99 < 3 ms at ${options.ratePerSec} req/s`,
      met: sy ? sy.addedP99Ms < 3 : null,
      measured: sy ? `${ms(sy.addedP99Ms)} ms` : 'n/a',
    },
  ];
  const floor = paced.floor;
  verdicts.push({
    name: `reference, not a target: a minimal Node proxy's added p50 / p99 at ${options.ratePerSec} req/s`,
    met: null,
    measured: floor ? `${ms(floor.addedP50Ms)} / ${ms(floor.addedP99Ms)} ms` : 'not run',
  });
  const sat = saturation.switchyard;
  const peer = saturation.portkey;
  verdicts.push({
    name: 'saturation throughput ≥ Portkey in the same run',
    met: sat && peer ? sat.rps >= peer.rps : null,
    measured:
      sat && peer
        ? `${int(sat.rps)} vs ${int(peer.rps)} req/s (×${(sat.rps / peer.rps).toFixed(2)})`
        : 'Portkey not run',
  });
  const rss = memory.switchyard?.peakMB;
  verdicts.push({
    name: 'Switchyard peak RSS < 150 MB under load',
    met: Number.isFinite(rss) ? rss < 150 : null,
    measured: `${ms(rss)} MB (VmHWM)`,
  });
  return verdicts;
}

function scenarioTable({ scenario, results, targets }) {
  const rows = Object.entries(results)
    .sort(([a], [b]) => scenario.targets.indexOf(a) - scenario.targets.indexOf(b))
    .map(([id, r]) => [
      targets[id]?.label ?? id,
      int(r.rps),
      ms(r.p50Ms),
      ms(r.p90Ms),
      ms(r.p99Ms),
      id === scenario.baseline ? '—' : ms(r.addedP50Ms),
      id === scenario.baseline ? '—' : ms(r.addedP99Ms),
      `${r.non2xx}/${r.errors}`,
    ]);
  const header = ['target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'added p50', 'added p99'];
  return table([...header, 'non-2xx/errors'], rows);
}

function perRoundTable({ scenarios, results, targets }) {
  const rows = [];
  for (const scenario of scenarios) {
    for (const [id, r] of Object.entries(results[scenario.id] ?? {})) {
      const cells = r.perRound.map(
        (run) => `${int(run.rps)} / ${ms(run.p50Ms)} / ${ms(run.p99Ms)}`,
      );
      rows.push([scenario.id, targets[id]?.label ?? id, ...cells]);
    }
  }
  const rounds = Math.max(...rows.map((row) => row.length - 2));
  const header = [
    'scenario',
    'target',
    ...Array.from({ length: rounds }, (_, i) => `round ${i + 1}`),
  ];
  return table(header, rows);
}

function profileMarkdown(profiles) {
  if (!profiles) return [];
  const lines = ['### CPU profile of Switchyard (self time)', ''];
  for (const { scenario, file, summary } of profiles) {
    lines.push(
      `\`${scenario}\` load (paced then saturation), ${ms(summary.busyMs)} ms busy of ` +
        `${ms(summary.totalMs)} ms sampled; profile: \`${file}\``,
      '',
      table(
        ['function (file:name:line)', 'self ms', '% of busy'],
        summary.functions.map((f) => [`\`${f.name}\``, ms(f.selfMs), ms(f.busyPct)]),
      ),
      '',
      table(
        ['file', 'self ms', '% of busy'],
        summary.files.slice(0, 10).map((f) => [`\`${f.name}\``, ms(f.selfMs), ms(f.busyPct)]),
      ),
      '',
      table(
        ['our function or a package, callees included', 'total ms', '% of busy'],
        summary.inclusive.map((f) => [`\`${f.name}\``, ms(f.selfMs), ms(f.busyPct)]),
      ),
      '',
    );
  }
  return lines;
}

export function gatewayMarkdown(report) {
  const { machine, options, targets, scenarios, results, memory, cache, verdicts } = report;
  const lines = [
    `## Gateway overhead and throughput (\`npm run bench\`)`,
    '',
    machineMarkdown(machine),
    '',
    'Command: `npm run build && node bench/gateway.mjs' +
      (options.argv.length ? ` ${options.argv.join(' ')}` : '') +
      '` (`npm run bench`).',
    '',
    `Method: the simulator (\`switchyard sim\`), Switchyard (\`switchyard serve\`, log level ` +
      'info, logs to /dev/null), the Portkey gateway (`@portkey-ai/gateway` `build/start-server.js ' +
      '--headless`, OpenAI provider with `x-portkey-custom-host` set to the simulator) and a ' +
      'minimal Node proxy (`bench/lib/floor-proxy.mjs`: parse, forward over undici, parse, ' +
      'send; nothing else) run as separate Node processes on 127.0.0.1; the load generator ' +
      'runs in another. The minimal proxy is a reference, not a competitor: its added latency ' +
      'is what this machine charges any Node.js proxy before it does any work of its own. ' +
      `Each scenario's targets run one after another, in an order that rotates every round; ` +
      `${options.rounds} rounds; every figure is the median over rounds, and an added latency is ` +
      "the median of each round's difference from the direct run of that round. Latencies are " +
      "timed per response by the bench in fractional milliseconds (autocannon's own histogram " +
      'keeps whole milliseconds). Only 2xx answers are timed; non-2xx and socket errors are counted.',
    '',
    '### Targets',
    '',
    table(
      ['target', 'measured (median)', 'met'],
      verdicts.map((v) => [v.name, v.measured, v.met === null ? 'n/a' : v.met ? 'yes' : '**no**']),
    ),
    '',
  ];
  for (const scenario of scenarios) {
    if (!results[scenario.id]) continue;
    lines.push(
      `### ${TITLES[scenario.id]}`,
      '',
      `${MODE_TEXT[scenario.mode](options)}.`,
      '',
      scenarioTable({ scenario, results: results[scenario.id], targets }),
      '',
    );
  }
  if (!cache.available) {
    lines.push('### Cache hit', '', `Not available: ${cache.why}. No figure is reported.`, '');
  }
  lines.push(
    '### Peak memory',
    '',
    table(
      ['process', 'peak RSS (VmHWM) MB', 'RSS at the end MB'],
      Object.entries(memory).map(([name, m]) => [name, ms(m.peakMB), ms(m.currentMB)]),
    ),
    '',
    `### Every round (req/s / p50 ms / p99 ms)`,
    '',
    perRoundTable({ scenarios, results, targets }),
    '',
    ...profileMarkdown(report.profiles),
  );
  return lines.join('\n');
}
