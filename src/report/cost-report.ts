import type { TokenCounts } from '../audit/audit-record.js';
import type { GatewayConfig } from '../config/config-types.js';
import { costOfUsage, roundUsd, type ModelPrice } from '../cost/price-table.js';
import type { UsageView } from '../server/envelope.js';
import type { AuditAggregates, GroupTotals } from './audit-reader.js';
import { formatUsd } from './format-usd.js';

/** An average Gregorian month, 365.25 / 12 = 30.4375 days, in ms. */
export const AVERAGE_MONTH_MS = (365.25 / 12) * 86_400_000;

export interface GroupView {
  name: string;
  requests: number;
  attempts: number;
  tokens: UsageView;
  cost_usd: number;
}

/** One line of the cost breakdown table: Component | Cost | Notes. */
export interface BreakdownLine {
  component: string;
  cost_usd: number;
  notes: string;
}

/**
 * The cost report, as `switchyard report --format json` prints it
 * (snake_case, like the HTTP API). Per-request figures are null when the
 * period holds no requests.
 */
export interface CostReport {
  period: { from: string; to: string; days: number };
  totals: {
    requests: number;
    attempts: number;
    tokens: UsageView;
    cost_usd: number;
    cost_per_request_usd: number | null;
    fallback_rate: number | null;
    cache_hit_rate: number | null;
    error_rate: number | null;
  };
  by_tier: GroupView[];
  by_model: GroupView[];
  by_task_type: GroupView[];
  /** Null when the heavy model has no price. */
  heavy_counterfactual: {
    model: string;
    cost_usd: number;
    saving_usd: number;
    saving_rate: number | null;
    /** Attempts without token counts, carried over at their own cost. */
    unpriced_cost_usd: number;
  } | null;
  monthly: {
    /** The period's figures are multiplied by this to make a month. */
    scale: number;
    requests: number;
    variable_cost_usd: number;
    fixed_costs_usd: Record<string, number>;
    fixed_cost_usd: number;
    total_cost_usd: number;
    variable_cost_per_request_usd: number | null;
    fixed_cost_per_request_usd: number | null;
    total_cost_per_request_usd: number | null;
  };
  breakdown: BreakdownLine[];
}

export interface BuildCostReportOptions {
  aggregates: AuditAggregates;
  fromMs: number;
  toMs: number;
  prices: Record<string, ModelPrice>;
  /** Lightest to heaviest; tiers are listed in this order. */
  tierOrder: string[];
  /** The model every request is re-priced at in the counterfactual. */
  heavyModel: string | undefined;
  monthlyFixedCostsUsd: Record<string, number>;
}

/**
 * Turns audit aggregates into the report: totals and rates, the split by
 * tier, model and task type, the saving against sending everything to the
 * heavy tier, and the month's cost with fixed costs amortised per request.
 *
 * The counterfactual re-prices the tokens requests actually used at the
 * heavy model's rates, escalation attempts included. A heavy model would
 * have spent its own number of output and reasoning tokens, and would not
 * have needed those escalations, so read the saving as an estimate.
 */
export function buildCostReport(options: BuildCostReportOptions): CostReport {
  const { aggregates, fromMs, toMs } = options;
  const { totals } = aggregates;
  const requests = totals.requests;
  const periodMs = toMs - fromMs;
  const scale = AVERAGE_MONTH_MS / periodMs;
  const report: CostReport = {
    period: {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      days: round6(periodMs / 86_400_000),
    },
    totals: {
      requests,
      attempts: totals.attempts,
      tokens: tokenView(totals.tokens),
      cost_usd: roundUsd(totals.costUsd),
      cost_per_request_usd: perRequest(totals.costUsd, requests),
      fallback_rate: rate(totals.fallbacks, requests),
      cache_hit_rate: rate(totals.cacheHits, requests),
      error_rate: rate(totals.errors, requests),
    },
    by_tier: sortByTierOrder(aggregates.byTier, options.tierOrder).map(groupView),
    by_model: sortByCost(aggregates.byModel).map(groupView),
    by_task_type: sortByCost(aggregates.byTaskType).map(groupView),
    heavy_counterfactual: counterfactual(options),
    monthly: monthly({ options, scale }),
    breakdown: [],
  };
  report.breakdown = breakdownLines(report);
  return report;
}

/** The heavy tier's first model; without a `heavy` tier, the heaviest tier's. */
export function heavyModelOf(
  config: Pick<GatewayConfig, 'tiers' | 'tierOrder'>,
): string | undefined {
  const heaviest = config.tierOrder[config.tierOrder.length - 1];
  const tier = config.tiers.heavy ?? (heaviest ? config.tiers[heaviest] : undefined);
  return tier?.[0]?.model;
}

function counterfactual(options: BuildCostReportOptions): CostReport['heavy_counterfactual'] {
  const model = options.heavyModel;
  const price = model ? options.prices[model] : undefined;
  if (!model || !price) return null;
  const { totals, costWithoutUsageUsd } = options.aggregates;
  const costUsd = roundUsd(costOfUsage(totals.tokens, price) + costWithoutUsageUsd);
  const savingUsd = roundUsd(costUsd - totals.costUsd);
  return {
    model,
    cost_usd: costUsd,
    saving_usd: savingUsd,
    saving_rate: costUsd > 0 ? round6(savingUsd / costUsd) : null,
    unpriced_cost_usd: roundUsd(costWithoutUsageUsd),
  };
}

function monthly(input: { options: BuildCostReportOptions; scale: number }): CostReport['monthly'] {
  const { options, scale } = input;
  const { totals } = options.aggregates;
  const fixedCostsUsd = options.monthlyFixedCostsUsd;
  const fixedUsd = Object.values(fixedCostsUsd).reduce((sum, usd) => sum + usd, 0);
  const variableUsd = totals.costUsd * scale;
  const monthlyRequests = totals.requests * scale;
  return {
    scale: round6(scale),
    requests: round6(monthlyRequests),
    variable_cost_usd: roundUsd(variableUsd),
    fixed_costs_usd: { ...fixedCostsUsd },
    fixed_cost_usd: roundUsd(fixedUsd),
    total_cost_usd: roundUsd(variableUsd + fixedUsd),
    variable_cost_per_request_usd: perRequest(totals.costUsd, totals.requests),
    fixed_cost_per_request_usd: perRequest(fixedUsd, monthlyRequests),
    total_cost_per_request_usd: perRequest(variableUsd + fixedUsd, monthlyRequests),
  };
}

function breakdownLines(report: CostReport): BreakdownLine[] {
  const { totals, monthly: month, period } = report;
  const lines: BreakdownLine[] = [
    {
      component: 'LLM tokens (period)',
      cost_usd: totals.cost_usd,
      notes: `${totals.requests} requests in ${period.days} days`,
    },
    {
      component: 'LLM tokens (month)',
      cost_usd: month.variable_cost_usd,
      notes: `period x ${month.scale} (a month is 30.4375 days)`,
    },
  ];
  for (const [name, usd] of Object.entries(month.fixed_costs_usd)) {
    lines.push({ component: name, cost_usd: roundUsd(usd), notes: 'fixed, per month' });
  }
  lines.push(
    {
      component: 'Fixed costs (month)',
      cost_usd: month.fixed_cost_usd,
      notes:
        month.fixed_cost_per_request_usd === null
          ? 'no requests to amortise over'
          : `${formatUsd(month.fixed_cost_per_request_usd)} per request amortised`,
    },
    { component: 'Total (month)', cost_usd: month.total_cost_usd, notes: 'tokens + fixed' },
  );
  if (month.total_cost_per_request_usd !== null) {
    lines.push({
      component: 'Total per request',
      cost_usd: month.total_cost_per_request_usd,
      notes:
        `${formatUsd(month.variable_cost_per_request_usd ?? 0)} tokens + ` +
        `${formatUsd(month.fixed_cost_per_request_usd ?? 0)} fixed`,
    });
  }
  const heavy = report.heavy_counterfactual;
  if (heavy) {
    lines.push(
      {
        component: 'All-heavy counterfactual (period)',
        cost_usd: heavy.cost_usd,
        notes: `every request's tokens at ${heavy.model} rates`,
      },
      {
        component: 'Saving vs all-heavy (period)',
        cost_usd: heavy.saving_usd,
        notes: heavy.saving_rate === null ? 'n/a' : `${percent(heavy.saving_rate)} of it`,
      },
    );
  }
  return lines;
}

function groupView(group: GroupTotals): GroupView {
  return {
    name: group.name,
    requests: group.requests,
    attempts: group.attempts,
    tokens: tokenView(group.tokens),
    cost_usd: roundUsd(group.costUsd),
  };
}

function tokenView(tokens: TokenCounts): UsageView {
  return {
    input_tokens: tokens.inputTokens,
    cached_input_tokens: tokens.cachedInputTokens,
    cache_write_tokens: tokens.cacheWriteTokens,
    output_tokens: tokens.outputTokens,
    reasoning_tokens: tokens.reasoningTokens,
  };
}

function sortByTierOrder(groups: GroupTotals[], tierOrder: string[]): GroupTotals[] {
  const rank = (name: string) => {
    const index = tierOrder.indexOf(name);
    return index < 0 ? tierOrder.length : index;
  };
  return [...groups].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

function sortByCost(groups: GroupTotals[]): GroupTotals[] {
  return [...groups].sort((a, b) => b.costUsd - a.costUsd || a.name.localeCompare(b.name));
}

function perRequest(usd: number, requests: number): number | null {
  return requests > 0 ? roundUsd(usd / requests) : null;
}

function rate(count: number, requests: number): number | null {
  return requests > 0 ? round6(count / requests) : null;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** 0.4567 → `45.67%`. */
export function percent(fraction: number): string {
  return `${(Math.round(fraction * 10_000) / 100).toFixed(2)}%`;
}
