import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ModelRegistry } from './model-registry.js';
import { readBody } from './http-io.js';
import { isRecord, parseJsonObject } from './request-helpers.js';
import { SCENARIO_NAMES, ScenarioError } from './scenario-plan.js';
import type { ModelBehaviour, SimulatorStats } from './types.js';

/** What the control endpoints act on. */
export interface ControlTarget {
  registry: ModelRegistry;
  stats(): SimulatorStats;
  reset(): void;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function fail(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { error: { message } });
}

/**
 * `/_sim/*`: lets another process (a benchmark, the CLI) script and inspect
 * the simulator. POST /_sim/script {model, scenarios}, POST /_sim/configure
 * {model, behaviour}, GET /_sim/stats, POST /_sim/reset, GET /_sim/scenarios.
 */
export async function handleControl(options: {
  request: IncomingMessage;
  response: ServerResponse;
  path: string;
  target: ControlTarget;
}): Promise<void> {
  const { request, response, path, target } = options;
  const route = `${request.method ?? 'GET'} ${path}`;
  if (route === 'GET /_sim/stats') return sendJson(response, 200, target.stats());
  if (route === 'GET /_sim/scenarios')
    return sendJson(response, 200, { scenarios: SCENARIO_NAMES });
  if (route === 'POST /_sim/reset') {
    target.reset();
    return sendJson(response, 200, { ok: true });
  }
  if (route !== 'POST /_sim/script' && route !== 'POST /_sim/configure') {
    return fail(response, 404, `no simulator control route ${route}`);
  }

  const body = parseJsonObject((await readBody(request)) ?? '');
  if (!body || typeof body.model !== 'string' || body.model === '') {
    return fail(response, 400, 'body must be a JSON object with a non-empty string "model"');
  }
  try {
    if (route === 'POST /_sim/script') {
      if (!isStringArray(body.scenarios))
        return fail(response, 400, '"scenarios" must be an array of strings');
      target.registry.enqueue(body.model, body.scenarios);
    } else {
      const behaviour = readBehaviour(body.behaviour);
      if (typeof behaviour === 'string') return fail(response, 400, behaviour);
      target.registry.configure(body.model, behaviour);
    }
  } catch (error) {
    if (error instanceof ScenarioError) return fail(response, 400, error.message);
    throw error;
  }
  sendJson(response, 200, { ok: true });
}

const NUMBER_FIELDS = ['latencyMs', 'faultRate', 'reasoningTokens'] as const;

/** A behaviour patch from JSON, or a message saying what is wrong with it. */
function readBehaviour(value: unknown): Partial<ModelBehaviour> | string {
  if (!isRecord(value)) return '"behaviour" must be an object';
  const patch: Partial<ModelBehaviour> = {};
  for (const [key, field] of Object.entries(value)) {
    if ((NUMBER_FIELDS as readonly string[]).includes(key)) {
      if (typeof field !== 'number' || !Number.isFinite(field)) return `"${key}" must be a number`;
      patch[key as (typeof NUMBER_FIELDS)[number]] = field;
    } else if (key === 'script' || key === 'faultScenarios') {
      if (!isStringArray(field)) return `"${key}" must be an array of strings`;
      patch[key] = field;
    } else if (key === 'rateLimit') {
      const limit = isRecord(field) ? field : {};
      const { requests, tokens, windowMs } = limit;
      if (
        typeof requests !== 'number' ||
        typeof tokens !== 'number' ||
        typeof windowMs !== 'number'
      ) {
        return '"rateLimit" must be {requests, tokens, windowMs} numbers';
      }
      patch.rateLimit = { requests, tokens, windowMs };
    } else {
      return `unknown behaviour field "${key}"`;
    }
  }
  return patch;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
