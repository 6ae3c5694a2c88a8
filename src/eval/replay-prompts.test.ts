import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProviders } from '../app/build-providers.js';
import type { GatewayConfig } from '../config/config-types.js';
import { ContractRegistry } from '../contracts/contract-registry.js';
import { parseConfig } from '../config/load-config.js';
import { silentLogger } from '../logging/logger.js';
import { HttpPools } from '../providers/http-pool.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import {
  recordingClock,
  REPO_ROOT,
  simConfigYaml,
  type RecordingClock,
} from '../test-support/gateway-harness.js';
import { join } from 'node:path';
import { replayPrompts } from './replay-prompts.js';

const CHEAP = 'gpt-4o-mini-2024-07-18';
const contract = ContractRegistry.fromDirectory(join(REPO_ROOT, 'contracts')).get('classification');
const prompts = [
  { id: 'a', messages: [{ role: 'user' as const, content: 'Lovely.' }] },
  { id: 'b', messages: [{ role: 'user' as const, content: 'Awful.' }] },
];

let sim: RunningSimulator;
let pools: HttpPools;
let config: GatewayConfig;
let clock: RecordingClock;

beforeEach(async () => {
  sim = await startSimulator({ logger: silentLogger() });
  ({ config } = parseConfig(simConfigYaml(sim.url), { env: {}, baseDir: REPO_ROOT, source: 't' }));
  pools = new HttpPools();
  clock = recordingClock();
});
afterEach(async () => {
  await pools.close();
  await sim.close();
});

function replay() {
  return replayPrompts({
    config,
    deployment: config.tiers.cheap![0]!,
    provider: buildProviders({ config, pools, now: Date.now }).get('openai')!,
    contract,
    prompts,
    clock,
    concurrency: 1,
  });
}

describe('replaying prompts against one deployment', () => {
  it('retries transient failures on the same deployment with jittered backoff', async () => {
    sim.script(CHEAP, ['server_error', 'bad_gateway_html']);
    const outcomes = await replay();
    expect(outcomes.map((o) => o.kind)).toEqual(['valid', 'valid']);
    // Full jitter with random() = 0.5 over 500 ms, then 1000 ms.
    expect(clock.sleeps).toEqual([250, 500]);
    expect(sim.stats().byModel[CHEAP]).toBe(4);
  });

  it('waits out a retry-after hint longer than the backoff', async () => {
    sim.script(CHEAP, ['rate_limit:3']);
    const outcomes = await replay();
    expect(outcomes.map((o) => o.kind)).toEqual(['valid', 'valid']);
    expect(clock.sleeps).toEqual([3000]);
  });

  it('reports an upstream error after the configured retries, without a re-ask', async () => {
    sim.script(CHEAP, ['server_error', 'server_error', 'server_error']);
    const outcomes = await replay();
    expect(outcomes[0]).toMatchObject({
      kind: 'upstream_error',
      reason: 'server_error',
      status: 500,
    });
    expect(outcomes[1]?.kind).toBe('valid');
    expect(sim.stats().byModel[CHEAP]).toBe(4);
  });

  it('does not retry an error the request itself caused', async () => {
    sim.script(CHEAP, ['auth_error']);
    const outcomes = await replay();
    expect(outcomes[0]).toMatchObject({ kind: 'upstream_error', reason: 'auth', status: 401 });
    expect(clock.sleeps).toEqual([]);
  });

  it('judges truncated output as truncated even when it could be repaired', async () => {
    sim.script(CHEAP, ['truncated']);
    const outcomes = await replay();
    expect(outcomes[0]).toMatchObject({
      kind: 'truncated',
      detail: 'output was cut off at the token limit',
    });
  });
});
