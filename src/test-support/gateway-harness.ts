import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startGateway,
  type RunningGateway,
  type StartGatewayOptions,
} from '../app/start-gateway.js';
import { parseConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../config/config-types.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../sim/index.js';
import type { Clock } from '../util/clock.js';

/**
 * A clock whose sleeps return at once and are written down, for backoff
 * tests. Time moves on by what was slept (and by `advance`), so cool-downs
 * end as they would have.
 */
export interface RecordingClock extends Clock {
  sleeps: number[];
  advance(ms: number): void;
}

export function recordingClock(options: { random?: number } = {}): RecordingClock {
  let id = 0;
  let offsetMs = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now() + offsetMs,
    advance: (ms) => {
      offsetMs += ms;
    },
    random: () => options.random ?? 0.5,
    newId: () => `req_test_${++id}`,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      offsetMs += ms;
    },
  };
}

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Tiers on the simulator: OpenAI-style cheap/mid/heavy, one deployment each. */
export function simConfigYaml(simUrl: string, extra = ''): string {
  return `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai:
    kind: openai
    base_url: ${simUrl}/v1
    api_key: sk-test
    forward_headers: [x-sim-scenario]
  anthropic:
    kind: anthropic
    base_url: ${simUrl}
    api_key: sk-ant-test
    forward_headers: [x-sim-scenario]
tiers:
  cheap: [{ provider: openai, model: gpt-4o-mini-2024-07-18 }]
  mid: [{ provider: openai, model: gpt-4o-2024-08-06 }]
  heavy: [{ provider: openai, model: o1-2024-12-17 }]
tier_order: [cheap, mid, heavy]
task_types: { classification: cheap, extraction: mid, reasoning: heavy }
contracts_dir: ${join(REPO_ROOT, 'contracts')}
logging: { level: silent }
${extra}`;
}

export interface Harness {
  sim: RunningSimulator;
  gateway: RunningGateway;
  clock: RecordingClock;
  config: GatewayConfig;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/**
 * A simulator and a gateway in front of it, both on loopback ports of their
 * own. `configure` edits the YAML before it is parsed.
 */
export async function startHarness(
  options: {
    extraYaml?: string;
    yaml?: (simUrl: string) => string;
    sim?: SimulatorOptions;
    clock?: RecordingClock;
    onBreakerChange?: StartGatewayOptions['onBreakerChange'];
    /** Where the gateway logs; default nowhere. */
    logger?: Logger;
  } = {},
): Promise<Harness> {
  const sim = await startSimulator({ logger: silentLogger(), ...options.sim });
  const yaml = options.yaml ? options.yaml(sim.url) : simConfigYaml(sim.url, options.extraYaml);
  const { config } = parseConfig(yaml, { env: {}, baseDir: REPO_ROOT, source: 'test' });
  // Each gateway keeps its audit log and keys in files of its own unless the test chose.
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-'));
  if (!/^audit:/m.test(yaml)) config.audit.sqlite.path = join(dir, 'audit.db');
  if (!/^keys:/m.test(yaml)) config.keys.store = { kind: 'sqlite', path: join(dir, 'keys.db') };
  // Repeated identical requests must reach the simulator unless a test is about the cache.
  if (!/^cache:/m.test(yaml)) config.cache.enabled = false;
  const clock = options.clock ?? recordingClock();
  const gateway = await startGateway({
    config,
    clock,
    logger: options.logger ?? silentLogger(),
    port: 0,
    ...(options.onBreakerChange ? { onBreakerChange: options.onBreakerChange } : {}),
  });
  return {
    sim,
    gateway,
    clock,
    config,
    post: (path, body, headers = {}) =>
      fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async close() {
      await gateway.close();
      await sim.close();
    },
  };
}
