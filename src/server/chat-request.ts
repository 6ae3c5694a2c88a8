import type { GatewayConfig } from '../config/config-types.js';
import type { ContractRegistry } from '../contracts/contract-registry.js';
import { invalidRequest } from '../errors/gateway-error.js';
import type { RouteJob } from '../routing/route-engine.js';
import { planForModel } from '../routing/route-plan.js';
import { parseMessages } from './parse-messages.js';
import { checkTaskType, parseMaxCost } from './route-request.js';

/** Sampling parameters passed through to the upstream as they are. */
const PASSTHROUGH = [
  'top_p',
  'seed',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'user',
  'reasoning_effort',
] as const;

/**
 * Fields SDKs and frameworks send by default or habit that change nothing
 * here: accepted and not forwarded (the gateway picks the service tier and
 * the prompt cache; there are no tools to call in parallel).
 */
const IGNORED = new Set([
  'service_tier',
  'prompt_cache_key',
  'safety_identifier',
  'parallel_tool_calls',
]);

/** Accepted only with the value that asks for nothing this gateway lacks. */
const ONLY_WHEN: Record<string, { ok: (value: unknown) => boolean; says: string }> = {
  logprobs: {
    ok: (value) => value === false,
    says: 'only false is supported (no log probabilities)',
  },
  tool_choice: {
    ok: (value) => value === 'none',
    says: 'tool calling is not supported by this gateway yet',
  },
  modalities: {
    ok: (value) => Array.isArray(value) && value.length === 1 && value[0] === 'text',
    says: 'only ["text"] is supported',
  },
};

/** Fields the gateway reads itself, or accepts and ignores on purpose. */
const HANDLED = new Set([
  'model',
  'messages',
  'response_format',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'stream',
  'stream_options',
  'n',
  'metadata',
  'store',
  ...PASSTHROUGH,
]);

export interface ParsedChatRequest {
  job: Omit<RouteJob, 'requestId' | 'signal' | 'forwardHeaders'>;
  /** Whether the client asked for JSON Schema output (and so gets validation). */
  structured: boolean;
  /** Set when the client asked for `stream: true`. */
  stream: ChatStreamOptions | undefined;
}

/** How the client wants its stream. */
export interface ChatStreamOptions {
  /** `stream_options.include_usage`: end with a chunk holding the usage, as OpenAI does. */
  includeUsage: boolean;
}

/**
 * Validates an OpenAI `/v1/chat/completions` body. A `json_schema`
 * response_format turns on the same validation, repair and escalation as
 * `/v1/route`; other requests are routed and retried but not validated.
 * `stream: true` asks for Server-Sent Events (see stream-chat.ts).
 */
export function parseChatRequest(
  body: Record<string, unknown>,
  options: { config: GatewayConfig; contracts: ContractRegistry; taskType: string | undefined },
): ParsedChatRequest {
  const { config, contracts, taskType } = options;
  if (taskType !== undefined) checkTaskType(taskType, 'x-task-type');
  if (typeof body.model !== 'string' || body.model === '') {
    throw invalidRequest('model', 'is required: a tier name, a configured model, or auto');
  }
  for (const key of Object.keys(body)) {
    const only = Object.hasOwn(ONLY_WHEN, key) ? ONLY_WHEN[key] : undefined;
    if (only) {
      if (!only.ok(body[key])) throw invalidRequest(key, only.says);
      continue;
    }
    if (key === 'tools' || key === 'functions') {
      throw invalidRequest(key, 'tool calling is not supported by this gateway yet');
    }
    if (!HANDLED.has(key) && !IGNORED.has(key)) {
      throw invalidRequest(key, 'is not a supported parameter');
    }
  }
  const stream = parseStream(body);
  if (body.n !== undefined && body.n !== 1) throw invalidRequest('n', 'only n = 1 is supported');

  const messages = parseMessages(body.messages);
  const plan = planForModel(config, { model: body.model, taskType });
  const { contract, sampling } = parseResponseFormat(body.response_format, contracts);
  for (const key of PASSTHROUGH) if (body[key] !== undefined) sampling[key] = body[key];

  return {
    job: {
      taskType: taskType ?? 'chat',
      plan,
      messages,
      contract,
      maxCostUsd: parseMaxCost(undefined, config.cost.maxCostUsdPerRequest),
      maxTokens: parseMaxTokens(body, config.maxOutputTokens),
      temperature: parseTemperature(body.temperature, contract !== undefined),
      sampling,
      // As OpenAI does: a refusal is answered with 200 and message.refusal.
      refusalIsAnswer: true,
    },
    structured: contract !== undefined,
    stream,
  };
}

/** `stream` and `stream_options`, checked as OpenAI checks them. */
function parseStream(body: Record<string, unknown>): ChatStreamOptions | undefined {
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw invalidRequest('stream', 'must be a boolean');
  }
  const options = body.stream_options;
  if (options === undefined || options === null) {
    return body.stream === true ? { includeUsage: false } : undefined;
  }
  if (body.stream !== true) {
    throw invalidRequest('stream_options', 'is only allowed when stream is true');
  }
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidRequest('stream_options', 'must be an object');
  }
  const { include_usage: includeUsage, ...rest } = options as Record<string, unknown>;
  for (const key of Object.keys(rest)) {
    // Obfuscation pads chunks against side channels; the gateway sends none, so it is moot.
    if (key !== 'include_obfuscation') {
      throw invalidRequest(`stream_options.${key}`, 'is not a supported parameter');
    }
  }
  if (includeUsage !== undefined && includeUsage !== null && typeof includeUsage !== 'boolean') {
    throw invalidRequest('stream_options.include_usage', 'must be a boolean');
  }
  return { includeUsage: includeUsage === true };
}

function parseResponseFormat(value: unknown, contracts: ContractRegistry) {
  const sampling: Record<string, unknown> = {};
  if (value === undefined || value === null) return { contract: undefined, sampling };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest('response_format', 'must be an object');
  }
  const format = value as Record<string, unknown>;
  if (format.type === 'text') return { contract: undefined, sampling };
  if (format.type === 'json_object') {
    sampling.response_format = { type: 'json_object' };
    return { contract: undefined, sampling };
  }
  if (format.type !== 'json_schema') {
    throw invalidRequest('response_format.type', 'must be text, json_object or json_schema');
  }
  const spec = format.json_schema as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object') {
    throw invalidRequest('response_format.json_schema', 'is required for type json_schema');
  }
  // As OpenAI checks it, so a request that works here works there.
  if (typeof spec.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(spec.name)) {
    throw invalidRequest(
      'response_format.json_schema.name',
      'is required: 1 to 64 letters, digits, underscores or dashes',
    );
  }
  if (spec.schema === undefined) {
    throw invalidRequest('response_format.json_schema.schema', 'is required');
  }
  const contract = contracts.inline(spec.schema, 'response_format.json_schema.schema');
  return { contract, sampling };
}

function parseMaxTokens(body: Record<string, unknown>, fallback: number): number {
  const field = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  const value = body[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidRequest(field, 'must be a positive integer');
  }
  return value;
}

function parseTemperature(value: unknown, structured: boolean): number | undefined {
  // Structured output is asked for at temperature 0 unless the client says otherwise.
  if (value === undefined || value === null) return structured ? 0 : undefined;
  if (typeof value !== 'number' || value < 0 || value > 2) {
    throw invalidRequest('temperature', 'must be a number from 0 to 2');
  }
  return value;
}
