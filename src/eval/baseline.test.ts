import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareToBaseline, readBaseline, toBaseline } from './baseline.js';
import type { EvalResult } from './run-eval.js';
import type { ModelScore } from './score-model.js';

function score(model: string, valid: number, answered = 100): ModelScore {
  return {
    key: `openai/${model}`,
    model,
    provider: 'openai',
    tier: 'cheap',
    prompts: 100,
    answered,
    valid,
    repaired: 0,
    refusals: 0,
    truncated: 0,
    invalidJson: 0,
    schemaInvalid: answered - valid,
    upstreamErrors: 100 - answered,
    validationSuccessPct: answered === 0 ? null : (valid / answered) * 100,
    repairRatePct: answered === 0 ? null : 0,
    refusalRatePct: answered === 0 ? null : 0,
    latencyP50Ms: answered === 0 ? null : 3,
    latencyP95Ms: answered === 0 ? null : 5,
    costUsd: 0.00125,
  };
}

function result(models: ModelScore[], schemaSha256 = 'abc'): EvalResult {
  return {
    contract: 'classification',
    schemaSha256,
    promptCount: 100,
    startedAt: '2026-12-01T00:00:00.000Z',
    models,
  };
}

const baseline = toBaseline(result([score('gpt-4o-mini-2024-07-18', 99), score('old-model', 90)]));

describe('comparing a run with its baseline', () => {
  it('passes a drop of exactly the threshold and fails one past it', () => {
    const atThreshold = compareToBaseline({
      baseline,
      result: result([score('gpt-4o-mini-2024-07-18', 97)]),
      thresholdPoints: 2,
    });
    expect(atThreshold.drifts).toEqual([]);

    const past = compareToBaseline({
      baseline,
      result: result([score('gpt-4o-mini-2024-07-18', 96)]),
      thresholdPoints: 2,
    });
    expect(past.drifts.map((d) => d.message)).toEqual([
      'contract "classification": gpt-4o-mini-2024-07-18 (openai) validation success fell ' +
        '3.00 points, from 99.00% to 96.00% (threshold 2 points)',
    ]);
    expect(past.drifts[0]?.dropPoints).toBe(3);
  });

  it('fails a model that answered none of the prompts', () => {
    const { drifts } = compareToBaseline({
      baseline,
      result: result([score('gpt-4o-mini-2024-07-18', 0, 0)]),
      thresholdPoints: 2,
    });
    expect(drifts.map((d) => d.message)).toEqual([
      'contract "classification": gpt-4o-mini-2024-07-18 (openai) answered none of 100 ' +
        'prompts (100 upstream errors); its baseline validation success is 99.00%',
    ]);
    expect(drifts[0]?.afterPct).toBeNull();
  });

  it('notes new models, models left out and a changed schema without failing', () => {
    const { drifts, notes } = compareToBaseline({
      baseline,
      result: result([score('gpt-4o-mini-2024-07-18', 100), score('new-model', 50)], 'def'),
      thresholdPoints: 2,
    });
    expect(drifts).toEqual([]);
    expect(notes).toEqual([
      'contract "classification" has changed since the baseline of 2026-12-01T00:00:00.000Z',
      'openai/new-model: no baseline to compare with',
      'openai/old-model: in the baseline, not evaluated this run',
    ]);
  });
});

describe('reading a baseline file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-baseline-'));

  it('reads back what toBaseline wrote', () => {
    const file = join(dir, 'good.json');
    writeFileSync(file, JSON.stringify(baseline));
    expect(readBaseline(file)).toEqual(baseline);
  });

  it('rejects a JSON file that is not a baseline', () => {
    const file = join(dir, 'other.json');
    writeFileSync(file, '{"name": "package"}');
    expect(() => readBaseline(file)).toThrow(`${file}: not a switchyard eval baseline (version 1)`);
  });

  it('names the file it cannot read', () => {
    expect(() => readBaseline(join(dir, 'missing.json'))).toThrow(
      `cannot read baseline ${join(dir, 'missing.json')}`,
    );
  });
});
