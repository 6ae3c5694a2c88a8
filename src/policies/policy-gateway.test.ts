import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../test-support/gateway-harness.js';
import type { PolicyListing } from './policy-engine.js';

const CHEAP = 'gpt-4o-mini-2024-07-18';
const MID = 'gpt-4o-2024-08-06';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface Envelope {
  tier: string;
  model_used: string;
  attempts: Array<{ model: string; outcome: string }>;
}

async function route(
  h: Harness,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Envelope }> {
  const response = await h.post('/v1/route', body, headers);
  return { status: response.status, body: (await response.json()) as Envelope };
}

async function policies(h: Harness): Promise<PolicyListing> {
  return (await (await fetch(`${h.gateway.url}/admin/policies`)).json()) as PolicyListing;
}

describe('self-steering policies in a running gateway', () => {
  it('pauses a model whose schema failure rate passes the limit, so the next tier serves', async () => {
    harness = await startHarness({
      extraYaml: 'policies: { schema: { min_samples: 4, max_failure_rate: 0.02 } }',
    });
    const classify = { task_type: 'classification', prompt: 'ok', contract: 'classification' };
    for (let i = 0; i < 4; i++) {
      const answer = await route(harness, classify, { 'x-sim-scenario': 'missing_field' });
      expect(answer.status).toBe(422);
    }

    const listing = await policies(harness);
    const cheap = listing.schema.models.find((m) => m.model === CHEAP);
    expect(cheap?.paused).toBe(true);
    expect(listing.recentChanges.some((c) => c.subject === CHEAP)).toBe(true);

    // A healthy request now starts past the paused model: no attempt on it.
    const next = await route(harness, classify);
    expect(next.status).toBe(200);
    expect(next.body.attempts.map((a) => a.model)).not.toContain(CHEAP);

    const metrics = await (await fetch(`${harness.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/policy="schema_pause".*action="activated".* [1-9]/);
  });

  it('never pauses a model for failures against a caller’s own inline schema', async () => {
    harness = await startHarness({
      extraYaml: 'policies: { schema: { min_samples: 4, max_failure_rate: 0.02 } }',
    });
    const impossible = {
      task_type: 'classification',
      prompt: 'ok',
      schema: { type: 'object', required: ['a'], properties: { a: { type: 'string' } } },
    };
    for (let i = 0; i < 4; i++) {
      const answer = await route(harness, impossible, { 'x-sim-scenario': 'missing_field' });
      expect(answer.status).toBe(422);
    }
    const listing = await policies(harness);
    expect(listing.schema.models.filter((m) => m.paused)).toEqual([]);
  });

  it('sends extraction one tier cheaper while the mid tier is slow, and resumes on request', async () => {
    harness = await startHarness({
      extraYaml:
        'policies: { latency: { threshold_ms: 100, min_samples: 3, task_types: [extraction] } }',
    });
    const extract = { task_type: 'extraction', prompt: 'Ada, 36', contract: 'extraction' };
    for (let i = 0; i < 3; i++) {
      const answer = await route(harness, extract, { 'x-sim-scenario': 'slow:150' });
      expect(answer.body.tier).toBe('mid');
    }
    const downgraded = await route(harness, extract);
    expect(downgraded.status).toBe(200);
    expect(downgraded.body.tier).toBe('cheap');
    expect(downgraded.body.model_used).toBe(CHEAP);

    const listing = await policies(harness);
    expect(listing.latency.tiers.find((t) => t.tier === 'mid')?.degraded).toBe(true);

    const resume = await harness.post('/admin/policies/resume', { tier: 'mid' });
    expect(resume.status).toBe(200);
    expect((await route(harness, extract)).body.model_used).toBe(MID);
  });

  it('opens the breaker of a deployment the configured cost cap keeps skipping', async () => {
    harness = await startHarness({
      extraYaml:
        'cost: { max_cost_usd_per_request: 0.01 }\n' +
        'policies: { cost_cap: { enabled: true, breaches: 2, open_ms: 60000 } }',
    });
    // o1's worst case passes the $0.01 cap, so each reasoning request skips it.
    const reason = { task_type: 'reasoning', prompt: 'Why?', contract: 'reasoning' };
    for (let i = 0; i < 2; i++) {
      const answer = await route(harness, reason);
      expect(answer.status).toBe(402);
    }
    const listing = await policies(harness);
    const heavy = listing.costCap.deployments.find((d) => d.deploymentId.startsWith('heavy/'));
    expect(heavy?.openUntilMs).toBeGreaterThan(Date.now());
    const breakers = await harness.gateway.resilience.breakers.list(harness.clock.now());
    expect(breakers.find((b) => b.deploymentId === heavy?.deploymentId)?.state).toBe('open');
  });

  it('never opens a breaker for skips under a cap the client lowered itself', async () => {
    harness = await startHarness({
      extraYaml: 'policies: { cost_cap: { enabled: true, breaches: 2, open_ms: 60000 } }',
    });
    const tiny = { ...{ task_type: 'classification', prompt: 'ok' }, contract: 'classification' };
    for (let i = 0; i < 4; i++) {
      const answer = await route(harness, { ...tiny, max_cost_usd: 0.0000001 });
      expect(answer.status).toBe(402);
    }
    const breakers = await harness.gateway.resilience.breakers.list(harness.clock.now());
    expect(breakers.filter((b) => b.state !== 'closed')).toEqual([]);
    expect((await route(harness, tiny)).status).toBe(200);
  });
});
