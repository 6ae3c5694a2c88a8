import { createHash } from 'node:crypto';
import type { RouteJob } from '../routing/route-engine.js';
import type { ChatMessage, JsonSchema } from '../providers/types.js';
import { canonicalJson } from './canonical-json.js';

/**
 * Everything about a request that can change the answer. Two requests whose
 * parts are equal get the same key and so may share a cached answer; a part
 * left out here would let one request be answered with another's output.
 */
export interface CacheKeyParts {
  /** The model that will serve (on lookup) or that served (on store). */
  model: string;
  messages: ChatMessage[];
  /** The contract's name, which the provider sees as the schema's name. */
  contractName?: string | undefined;
  /** The output contract's schema; hashed by content, so an edited contract misses. */
  schema?: JsonSchema | undefined;
  /** A `response_format` other than a contract (e.g. `json_object`). */
  responseFormat?: unknown;
  tools?: unknown;
  toolChoice?: unknown;
  temperature?: number | undefined;
  seed?: number | undefined;
  maxTokens: number;
  /** The other sampling parameters (top_p, stop, penalties, …), as sent. */
  sampling?: Record<string, unknown> | undefined;
  /**
   * Keeps entries apart, e.g. per API key id, for deployments that must not
   * answer one tenant from another's cache. Absent: one cache for all.
   */
  namespace?: string | undefined;
}

/** The parts of a key that do not depend on which model serves. */
export type RequestCacheParts = Omit<CacheKeyParts, 'model'>;

// Bumped whenever the shape hashed below changes, so old entries miss.
const KEY_VERSION = 1;

/**
 * The cache key of one request on one model: the SHA-256 (hex) of a
 * canonical JSON of its parts, object keys sorted, so that the order fields
 * arrived in does not matter. The schema goes in by its own content hash.
 *
 * The provider's structured-output mode (`json_schema` or JSON mode) is not
 * part of the key: the same model behind two providers configured
 * differently shares entries, and changing a provider's `json_schema` flag
 * does not invalidate what was cached before.
 */
export function cacheKey(parts: CacheKeyParts): string {
  const hashed = {
    v: KEY_VERSION,
    model: parts.model,
    messages: parts.messages,
    contract_name: parts.contractName,
    schema_sha256: parts.schema === undefined ? undefined : sha256(canonicalJson(parts.schema)),
    response_format: parts.responseFormat,
    tools: parts.tools,
    tool_choice: parts.toolChoice,
    temperature: parts.temperature,
    seed: parts.seed,
    max_tokens: parts.maxTokens,
    // An empty sampling object and none at all ask the same of the model.
    sampling: hasDefinedMember(parts.sampling) ? parts.sampling : undefined,
    namespace: parts.namespace,
  };
  return sha256(canonicalJson(hashed));
}

/**
 * The key parts of a routed job as the server built it, before any re-ask:
 * a cached answer is keyed by what the client sent, never by the engine's
 * follow-up messages. Seed, response_format, tools and tool_choice are taken
 * out of `sampling` into their own parts.
 */
export function requestCacheParts(
  job: Pick<RouteJob, 'messages' | 'contract' | 'maxTokens' | 'temperature' | 'sampling'>,
  options: { namespace?: string } = {},
): RequestCacheParts {
  const { seed, response_format, tools, tool_choice, ...sampling } = job.sampling ?? {};
  return {
    messages: job.messages,
    contractName: job.contract?.name,
    schema: job.contract?.schema,
    responseFormat: response_format,
    tools,
    toolChoice: tool_choice,
    temperature: job.temperature,
    seed: typeof seed === 'number' ? seed : undefined,
    maxTokens: job.maxTokens,
    // A seed that is not a number is kept with the rest, not dropped.
    sampling:
      seed !== undefined && typeof seed !== 'number'
        ? Object.assign({}, sampling, { seed })
        : sampling,
    namespace: options.namespace,
  };
}

function hasDefinedMember(record: Record<string, unknown> | undefined): boolean {
  return record !== undefined && Object.values(record).some((value) => value !== undefined);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
