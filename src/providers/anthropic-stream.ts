import { postStream } from '../streaming/post-stream.js';
import { readStreamEvents, type TranslatedMessage } from '../streaming/read-stream-events.js';
import type { SseMessage } from '../streaming/sse-parser.js';
import type { StreamEvent, StreamResult } from '../streaming/stream-events.js';
import { upstreamErrorEvent } from '../streaming/upstream-error-event.js';
import {
  anthropicHeaders,
  buildAnthropicBody,
  normaliseAnthropicUsage,
  type AnthropicClientOptions,
} from './anthropic-client.js';
import type { CompletionRequest, FinishReason } from './types.js';

export interface AnthropicStreamOptions extends AnthropicClientOptions {
  request: CompletionRequest;
}

/**
 * Streams one Messages API attempt, with the body `AnthropicClient` sends
 * plus `stream: true`. Resolves to a `Failure` when the attempt fails
 * before the stream starts (classified as the non-streaming client does),
 * else to the stream.
 */
export async function streamAnthropic(options: AnthropicStreamOptions): Promise<StreamResult> {
  const { request, baseUrl, apiKey, dispatcher, now } = options;
  const headers = anthropicHeaders(request, apiKey);
  const { body, wrapped } = buildAnthropicBody(request);
  const opened = await postStream({
    dispatcher,
    url: `${baseUrl}/v1/messages`,
    headers,
    body: Object.assign({}, body, { stream: true }),
    timeouts: request.timeouts,
    signal: request.signal,
    now,
  });
  if ('kind' in opened) return opened;
  const structured = request.structuredOutput !== undefined;
  const translator = new AnthropicEventTranslator({ structured, wrapped });
  return {
    kind: 'stream',
    headers: opened.headers,
    latencyMs: opened.latencyMs,
    events: readStreamEvents({ opened, translator }),
  };
}

const STOP: Record<string, FinishReason> = {
  end_turn: 'stop',
  tool_use: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  refusal: 'refusal',
};

type RawUsage = Parameters<typeof normaliseAnthropicUsage>[0] & Record<string, unknown>;

interface AnthropicEvent {
  type?: string;
  index?: number;
  message?: { usage?: RawUsage };
  content_block?: { type?: string; text?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: RawUsage;
  error?: { type?: string; message?: string };
}

/** One content block as it streams. */
interface Block {
  kind: 'text' | 'tool_use' | 'other';
  /** The tool input's JSON so far, kept only when it must be unwrapped at the end. */
  json: string;
  /** Whether any input JSON was passed on (or kept). */
  sawJson: boolean;
}

/**
 * Turns Messages API events into stream events: text deltas become text;
 * a forced tool call's `input_json_delta` pieces become the JSON text of
 * its input, as the non-streaming client reports it. When the contract was
 * wrapped in `{ result: … }` (a non-object root), the input is held until
 * its block ends and only `result` is passed on, so the text always
 * matches the contract. With a contract, free text beside the tool call is
 * dropped, as the non-streaming client drops it. Thinking blocks are
 * hidden reasoning and never become text.
 *
 * Anthropic reports input tokens in `message_start` and cumulative output
 * tokens in `message_delta`; each usage event merges the two so far.
 */
export class AnthropicEventTranslator {
  readonly #structured: boolean;
  readonly #wrapped: boolean;
  readonly #blocks = new Map<number, Block>();
  #usage: RawUsage = {};

  constructor(options: { structured: boolean; wrapped: boolean }) {
    this.#structured = options.structured;
    this.#wrapped = options.wrapped;
  }

  translate(message: SseMessage): TranslatedMessage {
    let event: AnthropicEvent;
    try {
      event = JSON.parse(message.data) as AnthropicEvent;
    } catch {
      const text = 'upstream sent a stream event that is not JSON';
      return {
        events: [{ type: 'error', message: text, errorType: 'bad_response', retryable: true }],
      };
    }
    switch (event?.type ?? message.event) {
      case 'message_start':
        return { events: this.#mergeUsage(event.message?.usage) };
      case 'content_block_start':
        return { events: this.#startBlock(event) };
      case 'content_block_delta':
        return { events: this.#delta(event) };
      case 'content_block_stop':
        return { events: this.#stopBlock(event.index ?? 0) };
      case 'message_delta':
        return { events: this.#messageDelta(event) };
      case 'message_stop':
        return { events: [], done: true };
      case 'error':
        return { events: [errorEvent(event)] };
      default:
        // `ping`, and event types Anthropic may add: its docs ask clients to ignore them.
        return { events: [] };
    }
  }

  #startBlock(event: AnthropicEvent): StreamEvent[] {
    const type = event.content_block?.type;
    const kind = type === 'text' || type === 'tool_use' ? type : 'other';
    this.#blocks.set(event.index ?? 0, { kind, json: '', sawJson: false });
    const text = event.content_block?.text;
    return kind === 'text' ? this.#text(text) : [];
  }

  #delta(event: AnthropicEvent): StreamEvent[] {
    const block = this.#blocks.get(event.index ?? 0);
    const delta = event.delta;
    if (delta?.type === 'text_delta' && block?.kind !== 'other') return this.#text(delta.text);
    if (delta?.type !== 'input_json_delta' || block?.kind !== 'tool_use') return [];
    const piece = delta.partial_json ?? '';
    if (piece === '') return [];
    block.sawJson = true;
    if (this.#wrapped) {
      block.json += piece;
      return [];
    }
    return [{ type: 'text', text: piece }];
  }

  #text(text: string | undefined): StreamEvent[] {
    if (this.#structured || text === undefined || text === '') return [];
    return [{ type: 'text', text }];
  }

  /** Ends a tool block: an input with no deltas is `{}`; a wrapped one is unwrapped. */
  #stopBlock(index: number): StreamEvent[] {
    const block = this.#blocks.get(index);
    if (block?.kind !== 'tool_use') return [];
    if (!block.sawJson) return [{ type: 'text', text: this.#wrapped ? 'null' : '{}' }];
    if (!this.#wrapped) return [];
    return [{ type: 'text', text: unwrapResult(block.json) }];
  }

  #messageDelta(event: AnthropicEvent): StreamEvent[] {
    const events: StreamEvent[] = [];
    const reason = event.delta?.stop_reason;
    if (typeof reason === 'string') {
      events.push({ type: 'finish', finishReason: STOP[reason] ?? 'unknown' });
    }
    return [...events, ...this.#mergeUsage(event.usage)];
  }

  /** Later counts replace earlier ones field by field: they are totals, not deltas. */
  #mergeUsage(raw: RawUsage | undefined): StreamEvent[] {
    if (!raw) return [];
    for (const [key, value] of Object.entries(raw)) {
      if (typeof value === 'number') this.#usage[key] = value;
    }
    const usage = normaliseAnthropicUsage(this.#usage);
    return usage ? [{ type: 'usage', usage }] : [];
  }
}

function parseEvent(data: string): AnthropicEvent | undefined {
  try {
    const event: unknown = JSON.parse(data);
    return typeof event === 'object' && event !== null ? (event as AnthropicEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** The JSON text of `result` inside a wrapped tool input; the raw text if it will not parse. */
function unwrapResult(json: string): string {
  try {
    const input = JSON.parse(json) as { result?: unknown } | null;
    return JSON.stringify(input?.result ?? null);
  } catch {
    // Cut off (max_tokens): pass it on so that validation reports it, as it would unstreamed.
    return json;
  }
}

function errorEvent(event: AnthropicEvent): StreamEvent {
  return upstreamErrorEvent({
    message: event.error?.message ?? 'upstream stream error',
    type: event.error?.type,
    code: undefined,
  });
}
