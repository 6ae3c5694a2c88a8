import { readFileSync, writeFileSync } from 'node:fs';
import type { EvalResult } from './run-eval.js';

/** What a baseline keeps of one model: enough to compare, readable in a diff. */
export interface BaselineModel {
  model: string;
  provider: string;
  tier: string;
  answered: number;
  valid: number;
  validation_success_pct: number | null;
  repair_rate_pct: number | null;
  refusal_rate_pct: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  cost_usd: number;
}

/** The file `--save` writes and `--baseline` reads (snake_case, like the HTTP API). */
export interface Baseline {
  version: 1;
  contract: string;
  schema_sha256: string;
  prompt_count: number;
  created_at: string;
  /** Keyed by `provider/model`. */
  models: Record<string, BaselineModel>;
}

/** A baseline file that cannot be read or is not one. */
export class BaselineError extends Error {
  readonly code = 'invalid_baseline';

  constructor(message: string) {
    super(message);
    this.name = 'BaselineError';
  }
}

export function toBaseline(result: EvalResult): Baseline {
  const models: Record<string, BaselineModel> = {};
  for (const score of result.models) {
    models[score.key] = {
      model: score.model,
      provider: score.provider,
      tier: score.tier,
      answered: score.answered,
      valid: score.valid,
      validation_success_pct: score.validationSuccessPct,
      repair_rate_pct: score.repairRatePct,
      refusal_rate_pct: score.refusalRatePct,
      latency_p50_ms: score.latencyP50Ms,
      latency_p95_ms: score.latencyP95Ms,
      cost_usd: score.costUsd,
    };
  }
  return {
    version: 1,
    contract: result.contract,
    schema_sha256: result.schemaSha256,
    prompt_count: result.promptCount,
    created_at: result.startedAt,
    models,
  };
}

export function saveBaseline(path: string, result: EvalResult): void {
  writeFileSync(path, `${JSON.stringify(toBaseline(result), null, 2)}\n`);
}

/** Reads a baseline; checks the shape only as far as the comparison needs it. */
export function readBaseline(path: string): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new BaselineError(`cannot read baseline ${path}: ${(error as Error).message}`);
  }
  const record = value as Partial<Baseline> | null;
  if (record?.version !== 1 || typeof record.contract !== 'string') {
    throw new BaselineError(`${path}: not a switchyard eval baseline (version 1)`);
  }
  if (typeof record.models !== 'object' || record.models === null) {
    throw new BaselineError(`${path}: models must be an object`);
  }
  return record as Baseline;
}

/** A model whose validation success fell by more than the threshold. */
export interface Drift {
  key: string;
  model: string;
  beforePct: number;
  /** Null when the model answered nothing this time. */
  afterPct: number | null;
  /** Percentage points lost. */
  dropPoints: number;
  message: string;
}

export interface Comparison {
  drifts: Drift[];
  /** Facts that do not fail the run: new models, models not evaluated, a changed schema. */
  notes: string[];
}

/**
 * Compares a run with a baseline of the same contract. A model fails when its
 * validation success fell by more than `thresholdPoints` percentage points, or
 * when it answered nothing at all (it cannot be shown to still comply).
 */
export function compareToBaseline(options: {
  baseline: Baseline;
  result: EvalResult;
  thresholdPoints: number;
}): Comparison {
  const { baseline, result, thresholdPoints } = options;
  const contract = result.contract;
  const notes: string[] = [];
  if (baseline.schema_sha256 !== result.schemaSha256) {
    notes.push(`contract "${contract}" has changed since the baseline of ${baseline.created_at}`);
  }
  const drifts: Drift[] = [];
  for (const score of result.models) {
    const before = baseline.models[score.key];
    if (!before || before.validation_success_pct === null) {
      notes.push(`${score.key}: no baseline to compare with`);
      continue;
    }
    const beforePct = before.validation_success_pct;
    const afterPct = score.validationSuccessPct;
    const dropPoints = Math.round((beforePct - (afterPct ?? 0)) * 100) / 100;
    if (afterPct !== null && dropPoints <= thresholdPoints) continue;
    const message =
      afterPct === null
        ? `contract "${contract}": ${score.model} (${score.provider}) answered none of ` +
          `${score.prompts} prompts (${score.upstreamErrors} upstream errors); ` +
          `its baseline validation success is ${formatPct(beforePct)}`
        : `contract "${contract}": ${score.model} (${score.provider}) validation success ` +
          `fell ${dropPoints.toFixed(2)} points, from ${formatPct(beforePct)} to ` +
          `${formatPct(afterPct)} (threshold ${thresholdPoints} points)` +
          (score.firstProblem ? `; first failure ${score.firstProblem}` : '');
    drifts.push({ key: score.key, model: score.model, beforePct, afterPct, dropPoints, message });
  }
  const evaluated = new Set(result.models.map((m) => m.key));
  for (const key of Object.keys(baseline.models)) {
    if (!evaluated.has(key)) notes.push(`${key}: in the baseline, not evaluated this run`);
  }
  return { drifts, notes };
}

export function formatPct(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(2)}%`;
}
