/**
 * What the simulator does wrong during the workload benchmark, per attempt:
 * every answer of every model independently draws a defect or a fault at
 * the rates below (through the simulator's `faultRate`/`faultScenarios`),
 * and for a window of the run the cloud provider's region is down.
 *
 * The rates are the benchmark's assumptions, written here and printed in the
 * report; they are round figures in the range teams report for production
 * traffic of hosted models (a few percent of fenced or slightly broken JSON,
 * under a percent of missing fields and cut-off answers, under a percent of
 * 429s and 5xx), and about double the content defects for a small
 * self-hosted model. They are not tuned to make a target.
 */

/**
 * Per-attempt rates in percent, by simulator scenario name. `RATE_LIMIT`
 * stands for a 429 whose retry hint is chosen per run (see cloudFaultsPct).
 */
export const CLOUD_FAULTS_PCT = {
  fenced_json: 2,
  trailing_comma: 0.5,
  missing_field: 0.5,
  // Only changes answers whose schema has a date-time field (extraction).
  naive_timestamp: 1,
  truncated: 0.2,
  RATE_LIMIT: 0.5,
  server_error: 0.3,
  bad_gateway_html: 0.1,
  unavailable: 0.1,
};

/**
 * The cloud rates with the 429's retry hint filled in: \`retry-after: 1\`
 * (seconds, as OpenAI sends it) or \`retry-after-ms\` of a compressed run.
 */
export function cloudFaultsPct({ retryAfterMs }) {
  const name =
    retryAfterMs >= 1000 && retryAfterMs % 1000 === 0
      ? `rate_limit:${retryAfterMs / 1000}`
      : `rate_limit_ms:${retryAfterMs}`;
  const { RATE_LIMIT, ...rest } = CLOUD_FAULTS_PCT;
  return { ...rest, [name]: RATE_LIMIT };
}

/** The self-hosted fallback model: twice the content defects, no quota. */
export const LOCAL_FAULTS_PCT = {
  fenced_json: 4,
  trailing_comma: 1,
  missing_field: 1,
  naive_timestamp: 2,
  truncated: 0.4,
  server_error: 0.2,
};

/** The regional outage: what every cloud model answers while it lasts. */
export const OUTAGE_FAULTS_PCT = { unavailable: 50, reset: 30, bad_gateway_html: 20 };

/** Simulated latency per model, in ms: the tiers' ratios, scaled down. */
export const LATENCY_MS = {
  'gpt-4o-mini-2024-07-18': 120,
  'gpt-4o-2024-08-06': 250,
  'o1-2024-12-17': 900,
  'llama-3.1-8b-instruct': 200,
};

export const CLOUD_MODELS = ['gpt-4o-mini-2024-07-18', 'gpt-4o-2024-08-06', 'o1-2024-12-17'];
export const LOCAL_MODEL = 'llama-3.1-8b-instruct';

/**
 * A `{faultRate, faultScenarios}` behaviour: the simulator draws "fault or
 * not" at `faultRate`, then one name uniformly from `faultScenarios`, so each
 * name is repeated in proportion to its rate (to 0.1 percentage points).
 */
export function toBehaviour(ratesPct) {
  const totalPct = Object.values(ratesPct).reduce((sum, pct) => sum + pct, 0);
  const faultScenarios = [];
  for (const [name, pct] of Object.entries(ratesPct)) {
    for (let i = 0; i < Math.round(pct * 10); i++) faultScenarios.push(name);
  }
  return { faultRate: totalPct / 100, faultScenarios };
}

async function configure(simUrl, model, behaviour) {
  const response = await fetch(`${simUrl}/_sim/configure`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, behaviour }),
  });
  if (!response.ok) throw new Error(`simulator configure ${model}: ${await response.text()}`);
}

/** Latency and the normal fault profile on every model. */
export async function applyNormalProfile(simUrl, { retryAfterMs }) {
  const cloud = toBehaviour(cloudFaultsPct({ retryAfterMs }));
  for (const model of CLOUD_MODELS) {
    await configure(simUrl, model, { latencyMs: LATENCY_MS[model], ...cloud });
  }
  await configure(simUrl, LOCAL_MODEL, {
    latencyMs: LATENCY_MS[LOCAL_MODEL],
    ...toBehaviour(LOCAL_FAULTS_PCT),
  });
}

/** The cloud region goes down: every cloud model fails every request. */
export async function startOutage(simUrl) {
  for (const model of CLOUD_MODELS) await configure(simUrl, model, toBehaviour(OUTAGE_FAULTS_PCT));
}

export async function endOutage(simUrl, { retryAfterMs }) {
  const cloud = toBehaviour(cloudFaultsPct({ retryAfterMs }));
  for (const model of CLOUD_MODELS) await configure(simUrl, model, cloud);
}
