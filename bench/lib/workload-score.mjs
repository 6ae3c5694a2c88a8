/**
 * Scoring of the workload benchmark, from two sources that do not trust
 * each other: what each client received (status, and the payload checked
 * again here with an Ajv of our own against the contract it asked for), and
 * the gateway's own request log (one JSON line per request, with every
 * attempt's outcome and the cost of them all, failed requests included).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { percentile } from '../../dist/eval/percentile.js';
import { SUMMARY_SCHEMA } from './workload-mix.mjs';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

/** Attempt outcomes after which the gateway re-asks (validation failures). */
const VALIDATION_FAILURES = new Set(['schema_invalid', 'invalid_json', 'truncated']);
/** Attempt outcomes after which the gateway retries (transient upstream failures). */
const TRANSIENT_FAILURES = new Set([
  'connection',
  'timeout',
  'rate_limited',
  'server_error',
  'overloaded',
  'bad_response',
]);

/** Validators for every contract the workload uses, compiled by an Ajv of the bench's own. */
export function buildValidators(root) {
  const ajv = new Ajv2020({ allErrors: false, strict: false, validateFormats: true });
  addFormats(ajv, { mode: 'full' });
  const fromFile = (name) =>
    ajv.compile(JSON.parse(readFileSync(join(root, 'contracts', `${name}.json`), 'utf8')));
  return {
    classification: fromFile('classification'),
    extraction: fromFile('extraction'),
    reasoning: fromFile('reasoning'),
    summary: ajv.compile(SUMMARY_SCHEMA),
  };
}

/**
 * One client's view of one request: `{ taskType, status, errorType?,
 * valid?, envelope? , latencyMs }`; `valid` is our own check of the payload.
 */
export function judgeResponse({ request, status, text, latencyMs, validators }) {
  const outcome = { index: request.index, taskType: request.taskType, status, latencyMs };
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return { ...outcome, errorType: 'unparseable_body' };
  }
  if (status !== 200) return { ...outcome, errorType: body?.error?.type ?? `http_${status}` };
  const validate = validators[request.taskType];
  return {
    ...outcome,
    valid: validate(body.payload) === true,
    tier: body.tier,
    model: body.model_used,
    fallback: body.fallback === true,
    repaired: body.repaired === true,
    cacheHit: body.cache_hit === true,
    costUsd: body.cost_usd,
  };
}

/** Counts over the client outcomes of one run. */
export function scoreClients({ outcomes, startTiers }) {
  const total = outcomes.length;
  const ok = outcomes.filter((o) => o.status === 200);
  const valid = ok.filter((o) => o.valid);
  const errors = {};
  for (const o of outcomes) {
    if (o.status === 200) continue;
    const key = `${o.status} ${o.errorType}`;
    errors[key] = (errors[key] ?? 0) + 1;
  }
  const latencies = outcomes.map((o) => o.latencyMs);
  const byTask = {};
  for (const o of outcomes) {
    const entry = (byTask[o.taskType] ??= { requests: 0, valid: 0 });
    entry.requests++;
    if (o.status === 200 && o.valid) entry.valid++;
  }
  return {
    total,
    ok: ok.length,
    valid: valid.length,
    invalidButOk: ok.length - valid.length,
    validationSuccessPct: (valid.length / total) * 100,
    errors,
    fallback: ok.filter((o) => o.fallback).length,
    escalated: ok.filter((o) => !o.fallback && o.tier !== startTiers[o.taskType]).length,
    repaired: ok.filter((o) => o.repaired).length,
    cacheHits: ok.filter((o) => o.cacheHit).length,
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
    byTask,
  };
}

/** The gateway's `request` log lines, parsed; other lines are skipped. */
export function requestLogEntries(lines) {
  return parsedLines(lines, '"msg":"request"').filter((entry) => !entry.metadata?.warm_up);
}

/** Policy changes the gateway logged, counted as `policy action subject`. */
export function policyChanges(lines) {
  const counts = {};
  for (const entry of parsedLines(lines, '"policy":"')) {
    const key = `${entry.policy} ${entry.action} ${entry.subject}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function parsedLines(lines, marker) {
  const entries = [];
  for (const line of lines) {
    if (!line.includes(marker)) continue;
    try {
      entries.push(JSON.parse(line));
    } catch {
      // A line cut by the process exiting; the count check reports it.
    }
  }
  return entries;
}

/**
 * Attempts, retries, re-asks and cost, from the gateway's request log.
 * `startModels` maps a task type to the model of its start tier: a request
 * whose first attempt went elsewhere was routed past a deployment before any
 * attempt: one cooling down after a 429, with an open breaker, or paused by
 * the schema policy.
 */
export function scoreLog({ entries, localModel, startModels }) {
  let attempts = 0;
  let passedOver = 0;
  let retries = 0;
  let reasks = 0;
  let withRetry = 0;
  let withReask = 0;
  let servedLocally = 0;
  let costUsd = 0;
  const costByTask = {};
  const outcomes = {};
  for (const entry of entries) {
    const list = (entry.attempts ?? []).map((text) => {
      const cut = text.lastIndexOf(':');
      return { model: text.slice(0, cut), outcome: text.slice(cut + 1) };
    });
    attempts += list.length;
    if (list.length > 0 && list[0].model !== startModels[entry.task_type]) passedOver++;
    let retried = false;
    let reasked = false;
    list.forEach((attempt, i) => {
      outcomes[attempt.outcome] = (outcomes[attempt.outcome] ?? 0) + 1;
      if (i === 0) return;
      const before = list[i - 1].outcome;
      if (TRANSIENT_FAILURES.has(before)) {
        retries++;
        retried = true;
      } else if (VALIDATION_FAILURES.has(before)) {
        reasks++;
        reasked = true;
      }
    });
    if (retried) withRetry++;
    if (reasked) withReask++;
    if (list.some((a) => a.model === localModel)) servedLocally++;
    costUsd += entry.cost_usd ?? 0;
    costByTask[entry.task_type] = (costByTask[entry.task_type] ?? 0) + (entry.cost_usd ?? 0);
  }
  return {
    requests: entries.length,
    attempts,
    passedOver,
    retries,
    reasks,
    withRetry,
    withReask,
    touchedLocal: servedLocally,
    attemptOutcomes: outcomes,
    costUsd,
    costByTask,
  };
}
