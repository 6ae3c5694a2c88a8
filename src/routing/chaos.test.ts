import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import { REPO_ROOT, startHarness, type Harness } from '../test-support/gateway-harness.js';

const CLOUD = [
  'gpt-4o-mini-2024-07-18',
  'claude-3-5-haiku-20241022',
  'gpt-4o-2024-08-06',
  'claude-sonnet-4-20250514',
];
const TRANSIENT = [
  'server_error',
  'unavailable',
  'overloaded',
  'bad_gateway_html',
  'reset',
  'empty_choices',
];
const REQUESTS = 5000;
const CONCURRENCY = 50;

let h: Harness;
let local: RunningSimulator;
let breakerOpenings = 0;

beforeAll(async () => {
  local = await startSimulator({ logger: silentLogger() });
  h = await startHarness({
    sim: { seed: 7 },
    onBreakerChange: (change) => {
      if (change.to === 'open') breakerOpenings++;
    },
    yaml: (url) => `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai: { kind: openai, base_url: ${url}/v1, api_key: sk-test }
  anthropic: { kind: anthropic, base_url: ${url}, api_key: sk-ant-test }
  vllm: { kind: openai, base_url: ${local.url}/v1, api_key: local, json_schema: false }
tiers:
  cheap:
    - { provider: openai, model: ${CLOUD[0]} }
    - { provider: anthropic, model: ${CLOUD[1]} }
  mid:
    - { provider: openai, model: ${CLOUD[2]} }
    - { provider: anthropic, model: ${CLOUD[3]} }
  local:
    - { provider: vllm, model: llama-3.1-8b-instruct, context_window: 8192 }
tier_order: [cheap, mid]
fallback_tier: local
task_types: { classification: cheap, extraction: mid }
retry: { max_retries: 2, base_delay_ms: 20, max_delay_ms: 200 }
resilience: { breaker: { cool_down_ms: 2000 } }
contracts_dir: ${REPO_ROOT}/contracts
logging: { level: silent }
`,
  });
  for (const model of CLOUD) {
    h.sim.configure(model, { faultRate: 0.2, faultScenarios: TRANSIENT });
  }
});

afterAll(async () => {
  await h.close();
  await local.close();
});

describe('chaos: 20% transient faults in the cloud tiers, a healthy local tier', () => {
  it(`answers all ${REQUESTS} requests`, async () => {
    let next = 0;
    let failed = 0;
    let retries = 0;
    let fallbacks = 0;
    const statuses = new Map<number, number>();
    async function worker(): Promise<void> {
      while (next < REQUESTS) {
        const i = next++;
        const body =
          i % 3 === 0
            ? {
                task_type: 'extraction',
                prompt: `Ada met Bob in Paris #${i}`,
                contract: 'extraction',
              }
            : {
                task_type: 'classification',
                prompt: `Review number ${i}`,
                contract: 'classification',
              };
        const response = await h.post('/v1/route', body);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const envelope = (await response.json()) as {
          fallback?: boolean;
          attempts?: Array<{ outcome: string }>;
        };
        if (response.status !== 200) {
          failed++;
          continue;
        }
        retries += (envelope.attempts?.length ?? 1) - 1;
        if (envelope.fallback) fallbacks++;
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    process.stdout.write(
      `chaos: ${REQUESTS} requests, ${failed} failed, ${retries} retries, ` +
        `${fallbacks} fallbacks, ${breakerOpenings} breaker openings, ` +
        `cloud requests ${h.sim.stats().requests}, local requests ${local.stats().requests}\n`,
    );
    expect(Object.fromEntries(statuses)).toEqual({ 200: REQUESTS });
    expect(failed).toBe(0);
    // The faults were really there and really handled: by a retry, or by the
    // fallback tier once breakers opened. How the two share them depends on
    // the order in which concurrent requests meet the faults (retries came
    // out between 497 and 727 in runs of this test), so each is checked
    // loosely and their sum firmly.
    expect(retries).toBeGreaterThan(REQUESTS * 0.05);
    expect(retries + fallbacks).toBeGreaterThan(REQUESTS * 0.2);
  }, 240_000);
});
