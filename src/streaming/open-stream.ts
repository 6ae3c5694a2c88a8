import type { Completion, CompletionRequest, ProviderClient } from '../providers/types.js';
import type { StreamEvent, StreamResult } from './stream-events.js';

/** A provider client that can stream an attempt as well as complete one. */
export interface StreamingClient {
  stream(request: CompletionRequest): Promise<StreamResult>;
}

/** Whether the client streams (the OpenAI and Anthropic clients do). */
export function canStream(client: ProviderClient): client is ProviderClient & StreamingClient {
  return typeof (client as Partial<StreamingClient>).stream === 'function';
}

/**
 * Starts one attempt as a stream. A client that cannot stream (a local
 * model, a test double) is asked for the whole completion, which then
 * arrives as one piece: its caller gets the same events either way, only
 * later.
 */
export async function openStream(options: {
  client: ProviderClient;
  request: CompletionRequest;
}): Promise<StreamResult> {
  const { client, request } = options;
  if (canStream(client)) return client.stream(request);
  const result = await client.complete(request);
  if (result.kind === 'failure') return result;
  return {
    kind: 'stream',
    headers: result.headers,
    latencyMs: result.latencyMs,
    events: completionEvents(result),
  };
}

/** A whole completion as the events a stream of it would have given. */
export async function* completionEvents(completion: Completion): AsyncGenerator<StreamEvent> {
  if (completion.refusal !== undefined) {
    yield { type: 'refusal', text: completion.refusal };
  } else if (completion.text !== '') {
    yield { type: 'text', text: completion.text };
  }
  yield { type: 'finish', finishReason: completion.finishReason };
  if (completion.usage) yield { type: 'usage', usage: completion.usage };
}
