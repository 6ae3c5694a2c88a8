/**
 * The runs of the workload benchmark and the gateway configuration of each:
 * which tiers the task types start on, and the compressed clock that scales
 * time-based settings so the month keeps its proportions.
 */
import { join } from 'node:path';
import { ROOT } from './stack.mjs';
import { LOCAL_MODEL } from './workload-faults.mjs';

const MONTH_SEC = 30 * 24 * 3600;
/** What a 429 asks for, and how long a breaker stays open, on the real clock. */
const REAL_RETRY_AFTER_MS = 1000;
const REAL_COOL_DOWN_MS = 300_000;

/** Where each task type starts, in the routed and in the all-heavy runs. */
export const ROUTED_TIERS = {
  classification: 'cheap',
  extraction: 'mid',
  reasoning: 'heavy',
  summary: 'mid',
};
export const HEAVY_TIERS = {
  classification: 'heavy',
  extraction: 'heavy',
  reasoning: 'heavy',
  summary: 'heavy',
};
export const TIER_MODELS = {
  cheap: 'gpt-4o-mini-2024-07-18',
  mid: 'gpt-4o-2024-08-06',
  heavy: 'o1-2024-12-17',
};

/**
 * How much faster than the month the run goes: the month's requests arrive
 * over 30 days, the run's at `ratePerSec`. Settings that act across requests
 * over time (a 429's cool-down, a breaker's) are divided by this factor, so
 * each one touches as many requests as it would in the month.
 */
export function compression({ ratePerSec, monthRequests }) {
  const factor = ratePerSec / (monthRequests / MONTH_SEC);
  const scale = (realMs) => Math.max(1, Math.round(realMs / factor));
  return {
    factor,
    retryAfterMs: scale(REAL_RETRY_AFTER_MS),
    coolDownMs: scale(REAL_COOL_DOWN_MS),
    // The policies' defaults: schema pause over 15 min, probed every minute;
    // cost-cap breaker over 10 min, held open 5 min.
    schemaWindowMs: scale(15 * 60_000),
    schemaProbeMs: scale(60_000),
    costCapWindowMs: scale(10 * 60_000),
    costCapOpenMs: scale(5 * 60_000),
  };
}

/**
 * The gateway configuration of one run: OpenAI-style cloud tiers and a
 * self-hosted fallback tier (a small model on an OpenAI-compatible server,
 * without `json_schema`), all served by that run's simulator. The policies
 * keep their defaults, on the compressed clock, except the latency
 * downgrade, which is off in every run: its default threshold (p95 over
 * 200 ms) is below the latency of any hosted model, so it would move
 * extraction to the cheap tier for the whole month and the comparison would
 * measure that policy rather than routing by task type.
 */
export function workloadConfig({ simUrl, allHeavy, scaled }) {
  const taskTypes = allHeavy
    ? '{ classification: heavy, extraction: heavy, reasoning: heavy }'
    : '{ classification: cheap, extraction: mid, reasoning: heavy }';
  return `
server: { host: 127.0.0.1, port: 0 }
providers:
  openai: { kind: openai, base_url: ${simUrl}/v1, api_key: sk-bench }
  vllm: { kind: openai, base_url: ${simUrl}/v1, api_key: none, json_schema: false }
tiers:
  cheap: [{ provider: openai, model: ${TIER_MODELS.cheap} }]
  mid: [{ provider: openai, model: ${TIER_MODELS.mid} }]
  heavy: [{ provider: openai, model: ${TIER_MODELS.heavy} }]
  local:
    - { provider: vllm, model: ${LOCAL_MODEL}, context_window: 8192,
        max_prompt_tokens: 6000, cost_per_request_usd: 0.0002 }
tier_order: [cheap, mid, heavy]
fallback_tier: local
task_types: ${taskTypes}
default_tier: ${allHeavy ? 'heavy' : 'mid'}
resilience:
  breaker: { consecutive_failures: 3, cool_down_ms: ${scaled.coolDownMs} }
policies:
  latency: { enabled: false }
  schema: { window_ms: ${scaled.schemaWindowMs}, probe_interval_ms: ${scaled.schemaProbeMs} }
  cost_cap: { window_ms: ${scaled.costCapWindowMs}, open_ms: ${scaled.costCapOpenMs} }
contracts_dir: ${join(ROOT, 'contracts')}
logging: { level: info }
`;
}

/**
 * The runs, driven side by side: the routed product and the all-heavy
 * comparison, with time-based settings scaled to the compressed clock; and,
 * unless `--no-unscaled`, the same pair with 429s asking for a real second.
 */
export function planRuns(options) {
  const scaled = compression(options);
  const runs = [
    { name: 'routed', allHeavy: false, retryAfterMs: scaled.retryAfterMs },
    { name: 'all heavy', allHeavy: true, retryAfterMs: scaled.retryAfterMs },
  ];
  if (options.unscaled) {
    runs.push(
      { name: 'routed, 429 of 1 s', allHeavy: false, retryAfterMs: REAL_RETRY_AFTER_MS },
      { name: 'all heavy, 429 of 1 s', allHeavy: true, retryAfterMs: REAL_RETRY_AFTER_MS },
    );
  }
  return { scaled, runs: runs.map((run) => ({ ...run, scaled })) };
}
