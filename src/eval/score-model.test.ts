import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { REPO_ROOT, simConfigYaml } from '../test-support/gateway-harness.js';
import type { PromptOutcome } from './replay-prompts.js';
import { scoreModel } from './score-model.js';

const { config } = parseConfig(simConfigYaml('http://127.0.0.1:1'), {
  env: {},
  baseDir: REPO_ROOT,
  source: 'test',
});
const deployment = config.tiers.cheap![0]!;

const valid = (id: string, latencyMs: number, repaired = false): PromptOutcome => ({
  promptId: id,
  kind: 'valid',
  repaired,
  latencyMs,
  costUsd: 0.0000125,
});

describe('scoring one model', () => {
  it('counts each outcome and takes rates over the answered prompts only', () => {
    const outcomes: PromptOutcome[] = [
      valid('p1', 10),
      valid('p2', 20, true),
      valid('p3', 30),
      { promptId: 'p4', kind: 'refusal', detail: 'no', latencyMs: 40, costUsd: 0.00001 },
      {
        promptId: 'p5',
        kind: 'schema_invalid',
        detail: "/label: must have required property 'label'",
        latencyMs: 50,
        costUsd: 0.00001,
      },
      {
        promptId: 'p6',
        kind: 'upstream_error',
        reason: 'server_error',
        detail: 'upstream answered 500',
        status: 500,
        latencyMs: 1,
        costUsd: 0,
      },
    ];
    expect(scoreModel({ deployment, outcomes })).toEqual({
      key: 'openai/gpt-4o-mini-2024-07-18',
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      tier: 'cheap',
      prompts: 6,
      answered: 5,
      valid: 3,
      repaired: 1,
      refusals: 1,
      truncated: 0,
      invalidJson: 0,
      schemaInvalid: 1,
      upstreamErrors: 1,
      validationSuccessPct: 60,
      repairRatePct: 20,
      refusalRatePct: 20,
      latencyP50Ms: 30,
      latencyP95Ms: 50,
      costUsd: 0.0000575,
      firstProblem: 'p4: refusal: no',
    });
  });

  it('rounds a rate to two decimals', () => {
    const outcomes: PromptOutcome[] = [
      valid('a', 1),
      valid('b', 1),
      { promptId: 'c', kind: 'truncated', detail: 'cut off', latencyMs: 1, costUsd: 0 },
    ];
    const score = scoreModel({ deployment, outcomes });
    expect(score.validationSuccessPct).toBe(66.67);
    expect(score.truncated).toBe(1);
  });

  it('leaves rates and latencies null when every prompt failed upstream', () => {
    const outcomes: PromptOutcome[] = [
      {
        promptId: 'p1',
        kind: 'upstream_error',
        reason: 'connection',
        detail: 'connection refused',
        latencyMs: 1,
        costUsd: 0,
      },
    ];
    const score = scoreModel({ deployment, outcomes });
    expect(score.answered).toBe(0);
    expect(score.validationSuccessPct).toBeNull();
    expect(score.latencyP50Ms).toBeNull();
    expect(score.firstProblem).toBe('p1: upstream_error: connection refused');
  });
});
