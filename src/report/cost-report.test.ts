import { describe, expect, it } from 'vitest';
import { zeroTokens } from '../audit/audit-record.js';
import type { ModelPrice } from '../cost/price-table.js';
import type { AuditAggregates } from './audit-reader.js';
import { buildCostReport, heavyModelOf, percent } from './cost-report.js';
import { formatUsd } from './format-usd.js';

const price = (input: number, output: number): ModelPrice => ({
  inputPerMillionUsd: input,
  cachedInputPerMillionUsd: input / 2,
  cacheWritePerMillionUsd: input * 1.25,
  outputPerMillionUsd: output,
  reasoning: false,
});

const prices = { small: price(1, 2), big: price(10, 30) };
const DAY_MS = 86_400_000;
const fromMs = Date.UTC(2025, 1, 1);

function aggregates(overrides: Partial<AuditAggregates> = {}): AuditAggregates {
  return {
    totals: {
      requests: 0,
      attempts: 0,
      tokens: zeroTokens(),
      costUsd: 0,
      fallbacks: 0,
      cacheHits: 0,
      errors: 0,
    },
    costWithoutUsageUsd: 0,
    byTier: [],
    byModel: [],
    byTaskType: [],
    ...overrides,
  };
}

describe('buildCostReport', () => {
  it('re-prices every token kind at the heavy model and amortises fixed costs', () => {
    const tokens = {
      inputTokens: 1_000_000,
      cachedInputTokens: 200_000,
      cacheWriteTokens: 100_000,
      outputTokens: 50_000,
      reasoningTokens: 10_000,
    };
    const report = buildCostReport({
      aggregates: aggregates({
        totals: {
          requests: 1000,
          attempts: 1100,
          tokens,
          costUsd: 1.5,
          fallbacks: 100,
          cacheHits: 0,
          errors: 0,
        },
      }),
      fromMs,
      // Exactly one average month, so the month's figures equal the period's.
      toMs: fromMs + 30.4375 * DAY_MS,
      prices,
      tierOrder: ['cheap', 'heavy'],
      heavyModel: 'big',
      monthlyFixedCostsUsd: { gpu: 500 },
    });
    // 1M x $10 + 0.2M x $5 + 0.1M x $12.5 + 0.05M x $30 (reasoning is inside output).
    expect(report.heavy_counterfactual).toEqual({
      model: 'big',
      cost_usd: 13.75,
      saving_usd: 12.25,
      saving_rate: 0.890909,
      unpriced_cost_usd: 0,
    });
    expect(report.monthly).toEqual({
      scale: 1,
      requests: 1000,
      variable_cost_usd: 1.5,
      fixed_costs_usd: { gpu: 500 },
      fixed_cost_usd: 500,
      total_cost_usd: 501.5,
      variable_cost_per_request_usd: 0.0015,
      fixed_cost_per_request_usd: 0.5,
      total_cost_per_request_usd: 0.5015,
    });
    expect(report.totals.fallback_rate).toBe(0.1);
  });

  it('reports nulls, not NaN, for a period without requests', () => {
    const report = buildCostReport({
      aggregates: aggregates(),
      fromMs,
      toMs: fromMs + DAY_MS,
      prices,
      tierOrder: ['cheap'],
      heavyModel: 'big',
      monthlyFixedCostsUsd: { gpu: 100 },
    });
    expect(report.totals).toMatchObject({
      requests: 0,
      cost_per_request_usd: null,
      fallback_rate: null,
      cache_hit_rate: null,
      error_rate: null,
    });
    expect(report.heavy_counterfactual).toMatchObject({ cost_usd: 0, saving_rate: null });
    expect(report.monthly.fixed_cost_per_request_usd).toBeNull();
    expect(report.monthly.total_cost_usd).toBe(100);
    expect(report.breakdown.map((line) => line.component)).not.toContain('Total per request');
  });

  it('has no counterfactual when the heavy model has no price', () => {
    const report = buildCostReport({
      aggregates: aggregates(),
      fromMs,
      toMs: fromMs + DAY_MS,
      prices,
      tierOrder: ['cheap'],
      heavyModel: 'unpriced',
      monthlyFixedCostsUsd: {},
    });
    expect(report.heavy_counterfactual).toBeNull();
  });

  it('lists tiers lightest first and models by cost', () => {
    const group = (name: string, costUsd: number) => ({
      name,
      requests: 1,
      attempts: 1,
      tokens: zeroTokens(),
      costUsd,
    });
    const report = buildCostReport({
      aggregates: aggregates({
        byTier: [group('heavy', 3), group('custom', 9), group('cheap', 1)],
        byModel: [group('b', 1), group('a', 1), group('c', 5)],
      }),
      fromMs,
      toMs: fromMs + DAY_MS,
      prices,
      tierOrder: ['cheap', 'mid', 'heavy'],
      heavyModel: 'big',
      monthlyFixedCostsUsd: {},
    });
    expect(report.by_tier.map((g) => g.name)).toEqual(['cheap', 'heavy', 'custom']);
    expect(report.by_model.map((g) => g.name)).toEqual(['c', 'a', 'b']);
  });
});

describe('heavyModelOf', () => {
  const deployment = (tier: string, model: string) => ({
    id: `${tier}/p/${model}`,
    tier,
    provider: 'p',
    model,
    contextWindow: undefined,
    maxPromptTokens: undefined,
    costPerRequestUsd: 0,
  });

  it('takes the first model of the heavy tier', () => {
    const tiers = { heavy: [deployment('heavy', 'o1'), deployment('heavy', 'opus')] };
    expect(heavyModelOf({ tiers, tierOrder: ['heavy'] })).toBe('o1');
  });

  it('falls back to the heaviest tier when there is no tier named heavy', () => {
    const tiers = { small: [deployment('small', 'a')], large: [deployment('large', 'b')] };
    expect(heavyModelOf({ tiers, tierOrder: ['small', 'large'] })).toBe('b');
  });
});

describe('formatUsd and percent', () => {
  it('shows cents from a dollar up and four significant digits below', () => {
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(0.5)).toBe('$0.50');
    expect(formatUsd(0.0126)).toBe('$0.0126');
    expect(formatUsd(0.00001263)).toBe('$0.00001263');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-0.25)).toBe('-$0.25');
    expect(percent(0.631944)).toBe('63.19%');
  });
});
