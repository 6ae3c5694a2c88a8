/**
 * Starts the processes a benchmark measures: the provider simulator, the
 * Switchyard gateway in front of it and, for comparison, the Portkey gateway
 * forwarding to the same simulator. Everything listens on 127.0.0.1.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertLoopbackOnly, freePort, startNode } from './processes.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const PORTKEY = join(ROOT, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
const LOOPBACK_ONLY = join(ROOT, 'bench', 'loopback-only.mjs');
const FLOOR_PROXY = join(ROOT, 'bench', 'lib', 'floor-proxy.mjs');

export function checkBuilt() {
  if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first');
}

export async function startSimulatorProcess() {
  const port = await freePort();
  const sim = await startNode({
    name: 'simulator',
    nodeArgs: [CLI, 'sim', '--port', String(port)],
    readyUrl: `http://127.0.0.1:${port}/_sim/stats`,
    cwd: ROOT,
  });
  assertLoopbackOnly(port);
  return { ...sim, port, url: `http://127.0.0.1:${port}` };
}

/**
 * Switchyard on `configYaml` (written to a temporary file). `nodeFlags` go
 * before the script, e.g. `--cpu-prof`; `onLogLine` receives its JSON log.
 */
export async function startSwitchyardProcess({ configYaml, nodeFlags = [], onLogLine }) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const configFile = join(dir, 'switchyard.yaml');
  writeFileSync(configFile, configYaml);
  const gateway = await startNode({
    name: 'switchyard',
    nodeArgs: [...nodeFlags, CLI, 'serve', '--config', configFile, '--port', String(port)],
    readyUrl: `http://127.0.0.1:${port}/healthz`,
    onStdoutLine: onLogLine,
    cwd: ROOT,
  });
  assertLoopbackOnly(port);
  return { ...gateway, port, url: `http://127.0.0.1:${port}`, configFile, dir };
}

/** The reference proxy (see floor-proxy.mjs) in front of the simulator. */
export async function startFloorProxyProcess({ sim }) {
  const port = await freePort();
  const floor = await startNode({
    name: 'floor proxy',
    nodeArgs: [FLOOR_PROXY, '--upstream', sim.url, '--port', String(port)],
    readyUrl: `http://127.0.0.1:${port}/`,
    cwd: ROOT,
  });
  assertLoopbackOnly(port);
  return { ...floor, port, url: `http://127.0.0.1:${port}` };
}

/** The Portkey gateway, headless, held to loopback by a preloaded listen() guard. */
export async function startPortkeyProcess() {
  if (!existsSync(PORTKEY)) throw new Error(`the Portkey gateway is not installed (${PORTKEY})`);
  const port = await freePort();
  const portkey = await startNode({
    name: 'portkey',
    nodeArgs: ['--import', LOOPBACK_ONLY, PORTKEY, `--port=${port}`, '--headless'],
    env: { NODE_ENV: 'production' },
    readyUrl: `http://127.0.0.1:${port}/`,
    cwd: ROOT,
  });
  assertLoopbackOnly(port);
  return { ...portkey, port, url: `http://127.0.0.1:${port}` };
}

/**
 * The simulator reports a default budget of 10,000 requests a minute on
 * every answer (never enforced). Switchyard reads those headers and, as it
 * should, routes around a deployment that says it has nothing left, so a
 * saturation run of a few thousand requests a second would measure the
 * gateway's 429s after five seconds. A benchmark measures overhead, not a
 * provider quota: give the models a budget no run can spend.
 */
export async function liftSimulatorRateLimit(sim, models = BENCH_MODELS) {
  for (const model of models) {
    const response = await fetch(`${sim.url}/_sim/configure`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        behaviour: { rateLimit: { requests: 1e9, tokens: 1e13, windowMs: 3_600_000 } },
      }),
    });
    if (!response.ok) throw new Error(`simulator configure ${model}: ${await response.text()}`);
  }
}

export const BENCH_MODELS = ['gpt-4o-mini-2024-07-18', 'gpt-4o-2024-08-06', 'o1-2024-12-17'];

/** One OpenAI-style provider on the simulator, cheap/mid/heavy as the defaults. */
export function singleProviderConfig({ simUrl, logLevel = 'info' }) {
  return `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai:
    kind: openai
    base_url: ${simUrl}/v1
    api_key: sk-bench
tiers:
  cheap: [{ provider: openai, model: gpt-4o-mini-2024-07-18 }]
  mid: [{ provider: openai, model: gpt-4o-2024-08-06 }]
  heavy: [{ provider: openai, model: o1-2024-12-17 }]
tier_order: [cheap, mid, heavy]
default_tier: mid
task_types: { classification: cheap, extraction: mid, reasoning: heavy }
contracts_dir: ${join(ROOT, 'contracts')}
logging: { level: ${logLevel} }
`;
}
