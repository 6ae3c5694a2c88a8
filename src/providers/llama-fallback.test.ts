import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContractRegistry } from '../contracts/contract-registry.js';
import { REPO_ROOT, startHarness, type Harness } from '../test-support/gateway-harness.js';

// CI runs in a fresh clone with the shared models directory beside it.
const MODEL_PATH = join(REPO_ROOT, '..', 'shared', 'models', 'llama-2-tiny-random.gguf');
const MODEL_PRESENT = existsSync(MODEL_PATH);

const CLOUD = 'gpt-4o-mini-2024-07-18';
const LOCAL = 'llama-2-tiny-random';
const LOCAL_ID = `local/llama/${LOCAL}`;

const CLASSIFY = {
  task_type: 'classification',
  prompt: 'The parcel arrived broken and support never answered.',
  contract: 'classification',
};

interface Attempt {
  tier: string;
  model: string;
  outcome: string;
  cost_usd: number;
  usage: { input_tokens: number; output_tokens: number } | null;
}

interface Envelope {
  tier: string;
  model_used: string;
  payload: unknown;
  fallback: boolean;
  cost_usd: number;
  attempts: Attempt[];
}

/** One cloud tier on the simulator; the fallback tier is the tiny model, in-process. */
function yaml(simUrl: string): string {
  return `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai: { kind: openai, base_url: ${simUrl}/v1, api_key: sk-test }
  llama: { kind: llama, model_path: ${MODEL_PATH}, context_size_tokens: 1024, threads: 1 }
tiers:
  cheap: [{ provider: openai, model: ${CLOUD} }]
  local:
    - { provider: llama, model: ${LOCAL}, max_prompt_tokens: 200, cost_per_request_usd: 0.0002 }
tier_order: [cheap]
fallback_tier: local
task_types: { classification: cheap }
retry: { max_retries: 0 }
max_output_tokens: 48
contracts_dir: ${REPO_ROOT}/contracts
logging: { level: silent }
`;
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Runs a suite that needs the test model; without it, skips it and says why. */
function describeWithModel(name: string, suite: () => void): void {
  if (MODEL_PRESENT) describe(name, suite);
  else describe.skip(`${name} (skipped: the test model ${MODEL_PATH} is absent)`, suite);
}

describeWithModel('a llama fallback tier behind failing cloud deployments', () => {
  it('answers /v1/route with fallback: true and a payload that passes the contract', async () => {
    harness = await startHarness({ yaml });
    harness.sim.script(CLOUD, ['server_error']);

    const response = await harness.post('/v1/route', CLASSIFY);
    const body = (await response.json()) as Envelope;

    expect(response.status).toBe(200);
    expect(body).toMatchObject({ fallback: true, tier: 'local', model_used: LOCAL });
    // The shipped contract, confidence between 0 and 1 included, checked again here.
    const contract = ContractRegistry.fromDirectory(join(REPO_ROOT, 'contracts'));
    expect(contract.get('classification').validate(body.payload)).toEqual([]);
    expect(body.attempts.map((a) => [a.tier, a.model, a.outcome])).toEqual([
      ['cheap', CLOUD, 'server_error'],
      ['local', LOCAL, 'success'],
    ]);
    const local = body.attempts[1]!;
    // Counted by the model's own tokenizer: the schema instructions alone
    // are dozens of tokens, and the answer is at least `{"label":"…"`.
    expect(local.usage?.input_tokens).toBeGreaterThan(50);
    expect(local.usage?.output_tokens).toBeGreaterThan(5);
    expect(local.usage?.output_tokens).toBeLessThanOrEqual(48);
    // No price entry: zero per token, plus the configured cost per request.
    expect(local.cost_usd).toBe(0.0002);
    expect(body.cost_usd).toBe(0.0002);
    expect(harness.sim.stats().byModel[CLOUD]).toBe(1);
  });

  it('keeps a prompt over max_prompt_tokens away from the local model, and says why', async () => {
    harness = await startHarness({ yaml });
    harness.sim.script(CLOUD, ['server_error']);

    const response = await harness.post('/v1/route', { ...CLASSIFY, prompt: 'word '.repeat(400) });
    const body = (await response.json()) as {
      error: { type: string; passed_over: Record<string, string> };
    };

    // The prompt would fit the model's 1024-token context, so had it been
    // sent, the model would have answered 200: the 502 is the cloud's error.
    expect(response.status).toBe(502);
    expect(body.error.type).toBe('upstream_error');
    expect(body.error.passed_over[LOCAL_ID]).toMatch(
      /^prompt of about \d+ tokens exceeds its limit of 200$/,
    );
  });

  it('goes back to the cloud deployment as soon as it answers again', async () => {
    harness = await startHarness({ yaml });
    harness.sim.script(CLOUD, ['server_error']);

    const first = (await (await harness.post('/v1/route', CLASSIFY)).json()) as Envelope;
    const second = (await (await harness.post('/v1/route', CLASSIFY)).json()) as Envelope;

    expect([first.fallback, first.model_used]).toEqual([true, LOCAL]);
    expect([second.fallback, second.model_used]).toEqual([false, CLOUD]);
  });
});
