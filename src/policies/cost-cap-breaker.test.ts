import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../routing/attempt.js';
import type { RequestFacts } from '../telemetry/request-facts.js';
import { CostCapBreakerPolicy } from './cost-cap-breaker.js';
import { DEFAULT_POLICY_CONFIG } from './policy-config.js';

function skipped(deploymentId: string): AttemptRecord {
  const [tier = '', , model = ''] = deploymentId.split('/');
  return {
    tier,
    model,
    deploymentId,
    outcome: 'skipped_cost_cap',
    latencyMs: 0,
    costUsd: 0,
    costEstimated: false,
    usage: null,
  };
}

function facts(attempts: AttemptRecord[], extra: Partial<RequestFacts> = {}): RequestFacts {
  return {
    requestId: 'r',
    taskType: 'classification',
    endpoint: 'route',
    tier: 'none',
    model: 'none',
    outcome: 'cost_cap_exceeded',
    latencyMs: 1,
    upstreamMs: 0,
    overheadMs: 1,
    costUsd: 0,
    cacheHit: undefined,
    fallback: false,
    repaired: false,
    hasContract: true,
    attempts,
    ...extra,
  };
}

const config = { ...DEFAULT_POLICY_CONFIG.costCap, enabled: true, breaches: 2 };

describe('CostCapBreakerPolicy', () => {
  it('opens a deployment after the configured number of skips in the window', () => {
    const policy = new CostCapBreakerPolicy({ config });
    const request = facts([skipped('heavy/openai/o1')]);
    expect(policy.observe(request, 1000)).toEqual([]);
    const [change] = policy.observe(request, 2000);
    expect(change?.subject).toBe('heavy/openai/o1');
    expect(change?.details.open_until_ms).toBe(2000 + config.openMs);
  });

  it('ignores skips under a cap the client lowered', () => {
    const policy = new CostCapBreakerPolicy({ config });
    const request = facts([skipped('heavy/openai/o1')], { capLoweredByClient: true });
    for (let i = 0; i < 5; i++) expect(policy.observe(request, 1000 + i)).toEqual([]);
    expect(policy.status(2000)).toEqual([]);
  });

  it('never opens an exempt deployment, such as the fallback tier', () => {
    const policy = new CostCapBreakerPolicy({
      config,
      exempt: (id) => id.startsWith('local/'),
    });
    const request = facts([skipped('local/vllm/llama'), skipped('heavy/openai/o1')]);
    policy.observe(request, 1000);
    const changes = policy.observe(request, 2000);
    expect(changes.map((c) => c.subject)).toEqual(['heavy/openai/o1']);
  });
});
