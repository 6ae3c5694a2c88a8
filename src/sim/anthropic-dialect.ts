import type { IncomingHttpHeaders } from 'node:http';
import { parseAnthropicRequest } from './anthropic-request.js';
import { chunkText, sseFrame, type Dialect, type ErrorSpec, type ReplyContext } from './dialect.js';
import type { StreamFrame } from './dialect.js';
import { anthropicRateHeaders } from './rate-limit-headers.js';

const RATE_LIMIT_HELP =
  'For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the ' +
  'response headers for current usage. Please reduce the prompt length or the maximum ' +
  'tokens requested, or try again later.';

/** Anthropic's status and error type for each error, with its wording. */
function describe(spec: ErrorSpec): { status: number; type: string; message: string } {
  switch (spec.kind) {
    case 'invalid_request':
      return { status: 400, type: 'invalid_request_error', message: spec.message };
    case 'missing_version':
      return {
        status: 400,
        type: 'invalid_request_error',
        message: 'anthropic-version: header is required',
      };
    case 'missing_key':
      return { status: 401, type: 'authentication_error', message: 'x-api-key header is required' };
    case 'invalid_key':
      return { status: 401, type: 'authentication_error', message: 'invalid x-api-key' };
    case 'rate_limited': {
      const unit = spec.resource === 'requests' ? 'requests' : 'input tokens';
      const message =
        `This request would exceed the rate limit for your organization of ${spec.limit} ` +
        `${unit} per minute. ${RATE_LIMIT_HELP}`;
      return { status: 429, type: 'rate_limit_error', message };
    }
    case 'request_too_large': {
      const message =
        `This request asks for ${spec.requested} input tokens, more than your organization's ` +
        `rate limit of ${spec.limit} input tokens per minute allows. ${RATE_LIMIT_HELP}`;
      return { status: 429, type: 'rate_limit_error', message };
    }
    case 'context_length': {
      const message = `prompt is too long: ${spec.requested} tokens > ${spec.limit} maximum`;
      return { status: 400, type: 'invalid_request_error', message };
    }
    case 'not_found':
      return { status: 404, type: 'not_found_error', message: 'Not found' };
    case 'payload_too_large':
      return {
        status: 413,
        type: 'request_too_large',
        message: 'Request exceeds the maximum size',
      };
    case 'unavailable':
      return { status: 503, type: 'api_error', message: 'Service unavailable' };
    case 'overloaded':
      return { status: 529, type: 'overloaded_error', message: 'Overloaded' };
    case 'server_error':
      return { status: 500, type: 'api_error', message: 'Internal server error' };
  }
}

function anthropicError(spec: ErrorSpec, requestId: string) {
  const { status, type, message } = describe(spec);
  return { status, body: { type: 'error', error: { type, message }, request_id: requestId } };
}

const STREAM_ERROR = sseFrame(
  { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
  'error',
);

const REFUSAL_DETAILS = { type: 'refusal', category: null, explanation: null };

function stopReason(context: ReplyContext): string {
  const { reply } = context;
  if (reply.refusal !== undefined) return 'refusal';
  if (reply.finish === 'length') return 'max_tokens';
  return reply.toolInput === undefined ? 'end_turn' : 'tool_use';
}

/** Input tokens exclude cache reads on Anthropic, unlike OpenAI's prompt_tokens. */
function usage(context: ReplyContext, outputTokens: number) {
  return {
    input_tokens: context.request.promptTokens - context.cachedTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: context.cachedTokens,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

/** Anthropic reports at least one output token, even for an empty reply. */
function outputTokens(context: ReplyContext): number {
  return Math.max(1, context.reply.outputTokens);
}

function contentBlocks(context: ReplyContext, toolUseId: string): unknown[] {
  const { reply, request } = context;
  if (reply.refusal !== undefined) return [];
  if (reply.toolInput !== undefined && request.output.kind === 'tool') {
    return [{ type: 'tool_use', id: toolUseId, name: request.output.name, input: reply.toolInput }];
  }
  return [{ type: 'text', text: reply.text }];
}

/** The message; `no_usage` drops its usage, as a proxy that strips it would. */
function message(context: ReplyContext) {
  const { usage: reported, ...rest } = fullMessage(context);
  return context.plan.noUsage ? rest : { ...rest, usage: reported };
}

function fullMessage(context: ReplyContext) {
  const refused = context.reply.refusal !== undefined;
  return {
    id: context.newId('msg_01', 22),
    type: 'message',
    role: 'assistant',
    model: context.request.model,
    content: contentBlocks(context, context.newId('toolu_01', 22)),
    stop_reason: stopReason(context),
    stop_sequence: null,
    stop_details: refused ? REFUSAL_DETAILS : null,
    usage: usage(context, outputTokens(context)),
  };
}

/**
 * Anthropic's event sequence: message_start (empty content, stop_reason
 * null), content_block_start, ping, deltas, content_block_stop,
 * message_delta (stop reason and final output tokens), message_stop.
 * Mid-stream failures are `event: error` frames.
 */
function streamFrames(context: ReplyContext): StreamFrame[] {
  const { reply, plan } = context;
  const { usage: _final, ...opening } = fullMessage(context);
  const start = { ...opening, content: [], stop_reason: null, stop_details: null };
  const startUsage = plan.noUsage ? {} : { usage: usage(context, 1) };
  const frames: StreamFrame[] = [
    sseFrame({ type: 'message_start', message: { ...start, ...startUsage } }, 'message_start'),
  ];
  const ping = sseFrame({ type: 'ping' }, 'ping');
  if (plan.streamFault === 'stream_error_before_content') return [...frames, ping, STREAM_ERROR];

  const [block] = contentBlocks(context, context.newId('toolu_01', 22)) as Array<
    Record<string, unknown> | undefined
  >;
  if (block) {
    const isTool = block.type === 'tool_use';
    const opening = isTool ? { ...block, input: {} } : { type: 'text', text: '' };
    frames.push(blockEvent('content_block_start', { content_block: opening }), ping);
    const pieces = chunkText(reply.text);
    const cut = Math.min(pieces.length, Math.max(1, Math.floor(pieces.length / 2)));
    for (const [index, piece] of pieces.entries()) {
      const delta = isTool
        ? { type: 'input_json_delta', partial_json: piece }
        : { type: 'text_delta', text: piece };
      frames.push(blockEvent('content_block_delta', { delta }));
      if (index + 1 !== cut) continue;
      if (plan.streamFault === 'stream_error_after_content') return [...frames, STREAM_ERROR];
      if (plan.streamFault === 'stream_drop') return [...frames, { drop: true }];
    }
    frames.push(blockEvent('content_block_stop', {}));
  } else {
    frames.push(ping);
  }
  const stopDetails = reply.refusal === undefined ? null : REFUSAL_DETAILS;
  const delta = {
    stop_reason: stopReason(context),
    stop_sequence: null,
    stop_details: stopDetails,
  };
  const finalUsage = plan.noUsage ? {} : { usage: { output_tokens: outputTokens(context) } };
  const ending = { type: 'message_delta', delta, ...finalUsage };
  frames.push(sseFrame(ending, 'message_delta'));
  frames.push(sseFrame({ type: 'message_stop' }, 'message_stop'));
  return frames;
}

function blockEvent(type: string, fields: object): string {
  return sseFrame({ type, index: 0, ...fields }, type);
}

function checkHeaders(headers: IncomingHttpHeaders): ErrorSpec | undefined {
  const key = headers['x-api-key'];
  const bearer = /^Bearer\s+\S+/i.test(headers.authorization ?? '');
  if ((typeof key !== 'string' || key.trim() === '') && !bearer) return { kind: 'missing_key' };
  if (!headers['anthropic-version']) return { kind: 'missing_version' };
  return undefined;
}

/** Anthropic Messages on the wire, `POST /v1/messages`. */
export const anthropicDialect: Dialect = {
  name: 'anthropic',
  contextWindowTokens: 200_000,
  requestIdHeader: 'request-id',
  newRequestId: (newId) => newId('req_011C', 20),
  checkHeaders,
  parse: parseAnthropicRequest,
  error: anthropicError,
  rateHeaders: ({ snapshot, nowMs, overrides }) =>
    anthropicRateHeaders({ snapshot, nowMs, ...(overrides && { overrides }) }),
  extraHeaders: () => ({}),
  body: message,
  streamFrames,
};
