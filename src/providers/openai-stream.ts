import { postStream } from '../streaming/post-stream.js';
import { readStreamEvents, type TranslatedMessage } from '../streaming/read-stream-events.js';
import type { SseMessage } from '../streaming/sse-parser.js';
import type { StreamErrorEvent, StreamEvent, StreamResult } from '../streaming/stream-events.js';
import { upstreamErrorEvent } from '../streaming/upstream-error-event.js';
import {
  normaliseOpenAiUsage,
  OpenAiClient,
  openAiHeaders,
  type OpenAiClientOptions,
} from './openai-client.js';
import type { CompletionRequest, FinishReason } from './types.js';

export interface OpenAiStreamOptions extends OpenAiClientOptions {
  request: CompletionRequest;
}

/**
 * Streams one Chat Completions attempt. The body is the one `OpenAiClient`
 * sends, plus `stream: true` and always `stream_options.include_usage`:
 * without it OpenAI reports no usage for a stream, and the attempt could
 * not be priced.
 *
 * Resolves to a `Failure` when the attempt fails before the stream starts
 * (classified as the non-streaming client does), else to the stream.
 * Only choice 0 is read; tool-call deltas are not translated, since the
 * gateway does not offer tools yet.
 *
 * Known gap: a compatible server that rejects the `stream_options` field
 * (some older ones answer 400 to any field they do not know) fails every
 * streamed attempt with `invalid_request`, so streamed requests pass it over;
 * there is no per-provider switch to leave the field out yet.
 */
export async function streamOpenAi(options: OpenAiStreamOptions): Promise<StreamResult> {
  const { request, baseUrl, apiKey, dispatcher, now } = options;
  const headers = openAiHeaders(request.headers, apiKey);
  const body = Object.assign({}, new OpenAiClient(options).buildBody(request), {
    stream: true,
    stream_options: { include_usage: true },
  });
  const opened = await postStream({
    dispatcher,
    url: `${baseUrl}/chat/completions`,
    headers,
    body,
    timeouts: request.timeouts,
    signal: request.signal,
    now,
  });
  if ('kind' in opened) return opened;
  const translator = new OpenAiChunkTranslator();
  return {
    kind: 'stream',
    headers: opened.headers,
    latencyMs: opened.latencyMs,
    events: readStreamEvents({ opened, translator }),
  };
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

interface OpenAiChunk {
  choices?: Array<{
    index?: number;
    delta?: { content?: string | null; refusal?: string | null } | null;
    finish_reason?: string | null;
  }>;
  usage?: Parameters<typeof normaliseOpenAiUsage>[0];
  error?: unknown;
  /** vLLM and some other compatible servers send `{ object: 'error', message }`. */
  object?: string;
  message?: unknown;
}

/**
 * Turns `chat.completion.chunk` frames into stream events. A chunk with no
 * choices (the usage chunk, or the empty one some deployments send first)
 * yields only its usage. Usage is passed on from every chunk that has it;
 * `readStreamEvents` keeps the last, which is the total, not a delta.
 */
export class OpenAiChunkTranslator {
  /** A refusal delta arrived, so the finish reason is `refusal` whatever it says. */
  #refused = false;
  #finished = false;

  translate(message: SseMessage): TranslatedMessage {
    if (message.data === '[DONE]') {
      // A [DONE] with no finish before it still ends the stream; the reason is unknown.
      const events: StreamEvent[] = this.#finished
        ? []
        : [{ type: 'finish', finishReason: 'unknown' }];
      return { events, done: true };
    }
    let chunk: OpenAiChunk;
    try {
      chunk = JSON.parse(message.data) as OpenAiChunk;
    } catch {
      return { events: [badChunk('upstream sent a stream chunk that is not JSON')] };
    }
    if (chunk === null || typeof chunk !== 'object') {
      return { events: [badChunk('upstream sent a stream chunk that is not an object')] };
    }
    const error = errorOf(chunk);
    if (error) return { events: [error] };
    return { events: this.#chunkEvents(chunk) };
  }

  #chunkEvents(chunk: OpenAiChunk): StreamEvent[] {
    const events: StreamEvent[] = [];
    const shapeError = chunkShapeError(chunk);
    if (shapeError) return [badChunk(shapeError)];
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    const delta = choice?.delta;
    if (typeof delta?.content === 'string' && delta.content !== '') {
      events.push({ type: 'text', text: delta.content });
    }
    if (typeof delta?.refusal === 'string') {
      this.#refused = true;
      if (delta.refusal !== '') events.push({ type: 'refusal', text: delta.refusal });
    }
    if (typeof choice?.finish_reason === 'string') {
      this.#finished = true;
      const finishReason = this.#refused ? 'refusal' : (FINISH[choice.finish_reason] ?? 'unknown');
      events.push({ type: 'finish', finishReason });
    }
    const usage = normaliseOpenAiUsage(chunk.usage);
    if (usage) events.push({ type: 'usage', usage });
    return events;
  }
}

/** The error an error frame carries, in either shape; undefined for a normal chunk. */
function errorOf(chunk: OpenAiChunk): StreamErrorEvent | undefined {
  if (chunk.error !== undefined && chunk.error !== null) {
    const error = typeof chunk.error === 'object' ? (chunk.error as Record<string, unknown>) : {};
    return upstreamErrorEvent({
      message: typeof error.message === 'string' ? error.message : 'upstream stream error',
      type: typeof error.type === 'string' ? error.type : undefined,
      code: typeof error.code === 'string' ? error.code : undefined,
    });
  }
  if (chunk.object === 'error') {
    const message = typeof chunk.message === 'string' ? chunk.message : 'upstream stream error';
    return upstreamErrorEvent({ message, type: undefined, code: undefined });
  }
  return undefined;
}

/** Why a chunk's choices cannot be read as OpenAI's, or undefined when they can. */
function chunkShapeError(chunk: OpenAiChunk): string | undefined {
  const choices: unknown = chunk.choices;
  if (choices === undefined || choices === null) return undefined;
  if (!Array.isArray(choices)) return 'upstream sent a stream chunk whose choices are not an array';
  for (const choice of choices as unknown[]) {
    if (typeof choice !== 'object' || choice === null) {
      return 'upstream sent a stream chunk with a choice that is not an object';
    }
    const delta = (choice as { delta?: unknown }).delta;
    if (delta === undefined || delta === null) continue;
    if (typeof delta !== 'object') return 'upstream sent a delta that is not an object';
    for (const field of ['content', 'refusal'] as const) {
      const value = (delta as Record<string, unknown>)[field];
      if (value !== undefined && value !== null && typeof value !== 'string') {
        return `upstream sent delta.${field} as ${typeof value}, not a string`;
      }
    }
  }
  return undefined;
}

function badChunk(message: string): StreamErrorEvent {
  return { type: 'error', message, errorType: 'bad_response', retryable: true };
}
