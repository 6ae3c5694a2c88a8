import type { GatewayConfig } from '../config/config-types.js';
import type { ContractRegistry } from '../contracts/contract-registry.js';
import { taskTypeProblem } from '../config/task-type-label.js';
import { invalidRequest } from '../errors/gateway-error.js';
import type { RouteJob } from '../routing/route-engine.js';
import { tierForTask } from '../routing/route-plan.js';
import { parseMessages } from './parse-messages.js';
import { nestsDeeperThan } from '../util/json-depth.js';

const MAX_METADATA_DEPTH = 16;
const MAX_METADATA_CHARS = 16_384;

const KNOWN_FIELDS = new Set([
  'task_type',
  'prompt',
  'messages',
  'contract',
  'schema',
  'max_cost_usd',
  'metadata',
]);

export interface ParsedRouteRequest {
  job: Omit<RouteJob, 'requestId' | 'signal' | 'forwardHeaders'>;
  contractName: string;
  metadata: Record<string, unknown> | undefined;
}

/** Validates a `/v1/route` body; every error names the field at fault. */
export function parseRouteRequest(
  body: Record<string, unknown>,
  options: { config: GatewayConfig; contracts: ContractRegistry },
): ParsedRouteRequest {
  const { config, contracts } = options;
  for (const key of Object.keys(body)) {
    if (!KNOWN_FIELDS.has(key)) throw invalidRequest(key, 'is not a known field');
  }
  const taskType = body.task_type;
  if (typeof taskType !== 'string' || taskType.trim() === '') {
    throw invalidRequest('task_type', 'is required and must be a non-empty string');
  }
  checkTaskType(taskType, 'task_type');
  const messages = parseInput(body);
  const contract = parseContract(body, contracts);
  const maxCostUsd = parseMaxCost(body.max_cost_usd, config.cost.maxCostUsdPerRequest);
  const metadata = body.metadata;
  if (
    metadata !== undefined &&
    (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
  ) {
    throw invalidRequest('metadata', 'must be an object');
  }
  // It is stored with the audit record as JSON: a depth no tag needs, and
  // that a serialiser can always walk, is the limit.
  if (nestsDeeperThan(metadata, MAX_METADATA_DEPTH)) {
    throw invalidRequest('metadata', `nests deeper than ${MAX_METADATA_DEPTH} levels`);
  }
  // Copied into a log line and an audit row per request: tags, not documents.
  if (metadata !== undefined && JSON.stringify(metadata).length > MAX_METADATA_CHARS) {
    throw invalidRequest('metadata', `is longer than ${MAX_METADATA_CHARS} characters as JSON`);
  }
  return {
    job: {
      taskType,
      plan: { startTier: tierForTask(config, taskType) },
      messages,
      contract,
      maxCostUsd,
      maxTokens: config.maxOutputTokens,
      temperature: 0,
    },
    contractName: typeof body.contract === 'string' ? body.contract : contract.name,
    metadata: metadata as Record<string, unknown> | undefined,
  };
}

function parseInput(body: Record<string, unknown>) {
  const hasPrompt = body.prompt !== undefined;
  const hasMessages = body.messages !== undefined;
  if (hasPrompt === hasMessages) {
    throw invalidRequest('prompt', 'exactly one of prompt or messages is required');
  }
  if (hasMessages) return parseMessages(body.messages);
  if (typeof body.prompt !== 'string' || body.prompt.trim() === '') {
    throw invalidRequest('prompt', 'must be a non-empty string');
  }
  return [{ role: 'user' as const, content: body.prompt }];
}

function parseContract(body: Record<string, unknown>, contracts: ContractRegistry) {
  const hasName = body.contract !== undefined;
  const hasSchema = body.schema !== undefined;
  if (hasName === hasSchema) {
    throw invalidRequest('contract', 'exactly one of contract or schema is required');
  }
  if (hasSchema) return contracts.inline(body.schema, 'schema');
  if (typeof body.contract !== 'string') throw invalidRequest('contract', 'must be a string');
  return contracts.get(body.contract);
}

/** A request may lower the configured cap, never raise it. */
export function parseMaxCost(
  value: unknown,
  configuredUsd: number,
  field = 'max_cost_usd',
): number {
  if (value === undefined) return configuredUsd;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidRequest(field, 'must be a positive number of USD');
  }
  return Math.min(value, configuredUsd);
}

/** Throws a 400 naming `field` unless `value` is a short, printable label. */
export function checkTaskType(value: string, field: string): void {
  const problem = taskTypeProblem(value);
  if (problem) throw invalidRequest(field, problem);
}
