/** The `report` section of the configuration, normalised. */
export interface ReportConfig {
  /**
   * Monthly fixed costs by component, in USD (`vllm: 380`): servers, the
   * database, observability. The report amortises them over requests.
   */
  monthlyFixedCostsUsd: Record<string, number>;
}

/** JSON Schema of the `report` section as written (snake_case). */
export const REPORT_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    monthly_fixed_costs_usd: {
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: { type: 'number', minimum: 0 },
    },
  },
} as const;

export interface RawReportConfig {
  monthly_fixed_costs_usd?: Record<string, number>;
}

/** No fixed costs unless configured. */
export function normaliseReportConfig(raw: RawReportConfig | undefined): ReportConfig {
  return { monthlyFixedCostsUsd: { ...(raw?.monthly_fixed_costs_usd ?? {}) } };
}
