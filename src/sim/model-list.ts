import type { ModelRegistry } from './model-registry.js';

/** Models every simulator lists, besides those it has been asked about. */
const LISTED_MODELS = {
  openai: ['gpt-4o', 'gpt-4o-mini', 'o3-mini'],
  anthropic: ['claude-sonnet-4-5', 'claude-haiku-4-5'],
};

/**
 * `GET /v1/models` in the shape of the API asking: OpenAI's `{object: list}`
 * or Anthropic's paged list. The simulator answers for any model name, so
 * this is only a convenience for clients that list before they call.
 */
export function modelList(options: {
  api: 'openai' | 'anthropic';
  registry: ModelRegistry;
  nowMs: number;
}) {
  const names = [...new Set([...LISTED_MODELS[options.api], ...options.registry.knownModels()])];
  const created = Math.floor(options.nowMs / 1000);
  if (options.api === 'openai') {
    return {
      object: 'list',
      data: names.map((id) => ({ id, object: 'model', created, owned_by: 'system' })),
    };
  }
  const createdAt = new Date(created * 1000).toISOString();
  const data = names.map((id) => ({ type: 'model', id, display_name: id, created_at: createdAt }));
  return { data, has_more: false, first_id: names[0] ?? null, last_id: names.at(-1) ?? null };
}
