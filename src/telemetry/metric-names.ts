/**
 * Every metric the gateway exposes, by its OpenTelemetry name, with the name
 * Prometheus sees. The Prometheus exporter of `@opentelemetry/exporter-prometheus`
 * 0.223 replaces each character outside `[a-zA-Z0-9_]` by `_` and appends
 * `_total` to monotonic counters; it adds no unit suffix (the unit goes on a
 * `# UNIT` line), so the unit is written into the name where it matters.
 * Alert rules, the Grafana dashboard and the tests use `PROMETHEUS_NAMES`,
 * so a rename here shows up in their tests.
 */
export const METRIC_NAMES = {
  requestLatency: 'ai.request.latency_ms',
  requestCost: 'ai.request.cost_usd',
  validationResult: 'ai.schema.validation_result',
  fallbacks: 'ai.request.fallbacks',
  retries: 'ai.request.retries',
  breakerState: 'ai.breaker.state',
  breakerTransitions: 'ai.breaker.transitions',
  deploymentRefusals: 'ai.deployment.refusals',
  cacheLookups: 'ai.cache.lookups',
  tokens: 'ai.tokens',
  budgetRejections: 'ai.budget.rejections',
  costCapBreaches: 'ai.cost_cap.breaches',
  gatewayOverhead: 'ai.gateway.overhead_ms',
  policyChanges: 'ai.policy.changes',
} as const;

export type MetricKey = keyof typeof METRIC_NAMES;

/** The series names a scrape of `GET /metrics` shows, per metric. */
export const PROMETHEUS_NAMES: Record<MetricKey, string> = {
  requestLatency: 'ai_request_latency_ms',
  requestCost: 'ai_request_cost_usd_total',
  validationResult: 'ai_schema_validation_result_total',
  fallbacks: 'ai_request_fallbacks_total',
  retries: 'ai_request_retries_total',
  breakerState: 'ai_breaker_state',
  breakerTransitions: 'ai_breaker_transitions_total',
  deploymentRefusals: 'ai_deployment_refusals_total',
  cacheLookups: 'ai_cache_lookups_total',
  tokens: 'ai_tokens_total',
  budgetRejections: 'ai_budget_rejections_total',
  costCapBreaches: 'ai_cost_cap_breaches_total',
  gatewayOverhead: 'ai_gateway_overhead_ms',
  policyChanges: 'ai_policy_changes_total',
};

/**
 * Request latency bucket bounds in ms. Dense between 100 and 300 ms so that
 * `histogram_quantile(0.95, …)` resolves the 200 ms target to within 25 ms,
 * and no coarser than 1.5× above 1 s, where model answers mostly fall: with
 * a 5–10 s bucket, answers of 5.03 s read as a p95 of 9.75 s and set off the
 * latency policy.
 */
export const LATENCY_BUCKETS_MS = [
  5, 10, 25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000,
  5000, 6000, 7500, 10000, 15000, 20000, 30000, 60000,
] as const;

/**
 * Gateway overhead bucket bounds in ms: our own work (parsing, validation,
 * routing) is expected well under a millisecond, so the low end is fine.
 */
export const OVERHEAD_BUCKETS_MS = [
  0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000,
] as const;
