import { silentLogger } from '../../src/logging/logger.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { REPO_ROOT, startHarness, type Harness } from '../../src/test-support/gateway-harness.js';

export const CHEAP = 'gpt-4o-mini-2024-07-18';
export const MID = 'gpt-4o-2024-08-06';
export const HEAVY = 'o1-2024-12-17';
export const LOCAL = 'llama-3.1-8b-instruct';

/**
 * Cloud tiers on one simulator (its scenarios chosen per request by the
 * `x-sim-scenario` header) and a self-hosted fallback tier on a second one
 * that ignores the header, so a request whose cloud attempts all fail is
 * served by the fallback.
 */
function yaml(simUrl: string, localUrl: string): string {
  return `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai: { kind: openai, base_url: ${simUrl}/v1, api_key: sk-test, forward_headers: [x-sim-scenario] }
  vllm: { kind: openai, base_url: ${localUrl}/v1, api_key: local-key, json_schema: false }
tiers:
  cheap: [{ provider: openai, model: ${CHEAP} }]
  mid: [{ provider: openai, model: ${MID} }]
  heavy: [{ provider: openai, model: ${HEAVY} }]
  local: [{ provider: vllm, model: ${LOCAL}, cost_per_request_usd: 0.0001 }]
tier_order: [cheap, mid, heavy]
fallback_tier: local
task_types: { classification: cheap, extraction: mid, reasoning: heavy }
retry: { max_retries: 2, base_delay_ms: 0, max_delay_ms: 0 }
policies: { cost_cap: { enabled: true } }
contracts_dir: ${REPO_ROOT}/contracts
logging: { level: silent }
`;
}

export interface ObservedGateway {
  harness: Harness;
  url: string;
  route(input: { body: Record<string, unknown>; scenario?: string }): Promise<number>;
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

export async function startObservedGateway(): Promise<ObservedGateway> {
  const local: RunningSimulator = await startSimulator({ logger: silentLogger() });
  const harness = await startHarness({ yaml: (simUrl) => yaml(simUrl, local.url) });
  return {
    harness,
    url: harness.gateway.url,
    async route({ body, scenario }) {
      const headers: Record<string, string> = scenario ? { 'x-sim-scenario': scenario } : {};
      const response = await harness.post('/v1/route', body, headers);
      await response.arrayBuffer();
      return response.status;
    },
    async metricsText() {
      const response = await fetch(`${harness.gateway.url}/metrics`);
      return response.text();
    },
    async close() {
      await harness.close();
      await local.close();
    },
  };
}

export const classify = {
  task_type: 'classification',
  prompt: 'The parcel arrived broken and support never answered.',
  contract: 'classification',
};

export const extract = {
  task_type: 'extraction',
  prompt: 'Order 1234 was shipped to Berlin on 3 March.',
  contract: 'classification',
};

/**
 * One request of each kind the issue names, with the status each must get:
 * success, repaired, schema violation, cost cap, and 429s from every cloud
 * deployment (each cooled for 1 ms only) so the fallback serves. Five cost-cap
 * refusals within 10 minutes trip the cost_cap_breaker policy, so a caller
 * sending many rounds leaves the cost cap out of most of them.
 */
export async function sendEveryKind(
  gateway: ObservedGateway,
  options: { costCap?: boolean } = {},
): Promise<number[]> {
  const statuses = [
    await gateway.route({ body: classify }),
    await gateway.route({ body: extract }),
    await gateway.route({ body: classify, scenario: 'fenced_json' }),
    await gateway.route({ body: classify, scenario: 'missing_field' }),
  ];
  if (options.costCap ?? true) {
    statuses.push(await gateway.route({ body: { ...classify, max_cost_usd: 0.0000001 } }));
  }
  statuses.push(await gateway.route({ body: classify, scenario: 'rate_limit_ms:1' }));
  return statuses;
}

export const EVERY_KIND_STATUSES = [200, 200, 200, 422, 402, 200];

/** Three server errors in a row open the cheap deployment's breaker. */
export async function openCheapBreaker(gateway: ObservedGateway): Promise<number[]> {
  gateway.harness.sim.script(CHEAP, ['server_error', 'server_error', 'server_error']);
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push(await gateway.route({ body: classify }));
  return statuses;
}

/**
 * Five reasoning requests whose prompt makes o1's worst case pass the
 * configured $0.05 cap: each skips the heavy deployment (the fallback tier
 * serves), and the cost_cap_breaker policy then holds its breaker open.
 * Only the configured cap counts: a cap the client lowered never trips it.
 */
export async function tripCostCapPolicy(gateway: ObservedGateway): Promise<number[]> {
  const longPrompt = 'Explain why the parcel arrived broken. '.repeat(300);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    statuses.push(
      await gateway.route({
        body: { task_type: 'reasoning', prompt: longPrompt, contract: 'classification' },
      }),
    );
  }
  return statuses;
}
