import type { GatewayConfig } from '../config/config-types.js';
import type { RoutePlan } from '../routing/route-plan.js';
import { candidateDeployments } from './candidate-deployments.js';
import { cacheKey, type RequestCacheParts } from './cache-key.js';
import type { CachedResponse } from './cached-response.js';
import type { ResponseCache } from './response-cache.js';

/**
 * The models that may answer a request, each once, in the order the engine
 * would try them (see `candidateDeployments`): the models to look a request
 * up under.
 */
export function candidateModels(options: {
  config: GatewayConfig;
  plan: RoutePlan;
  allowedTiers?: readonly string[] | undefined;
}): string[] {
  return [...new Set(candidateDeployments(options).map((deployment) => deployment.model))];
}

export interface CacheHit {
  /** The key the entry was found under. */
  key: string;
  /** The model that answered, which the entry was stored under. */
  model: string;
  response: CachedResponse;
}

/**
 * Looks a request up under each candidate model and returns the first hit
 * in the order given. Entries are stored under the model that answered, so
 * an answer an escalation got from a heavier model serves later requests
 * too. The reads go out together; on Redis they share one round trip.
 */
export async function findCachedResponse(options: {
  cache: ResponseCache;
  models: readonly string[];
  parts: RequestCacheParts;
}): Promise<CacheHit | undefined> {
  const { cache, parts } = options;
  const keys = options.models.map((model) => ({
    model,
    key: cacheKey(Object.assign({}, parts, { model })),
  }));
  const values = await Promise.all(keys.map(({ key }) => cache.get(key)));
  for (const [index, response] of values.entries()) {
    if (response) return Object.assign({}, keys[index]!, { response });
  }
  return undefined;
}

/** The key to store an answer under: the request's parts on the model that served. */
export function storeKey(options: { parts: RequestCacheParts; servedModel: string }): string {
  return cacheKey(Object.assign({}, options.parts, { model: options.servedModel }));
}
