import type { IncomingHttpHeaders } from 'node:http';
import { chunkText, sseFrame, type Dialect, type ErrorSpec, type ReplyContext } from './dialect.js';
import type { StreamFrame } from './dialect.js';
import { parseOpenAiRequest } from './openai-request.js';
import { hashString } from './prng.js';
import { formatGoDuration, openaiRateHeaders } from './rate-limit-headers.js';

const RATE_LIMIT_HELP = 'Visit https://platform.openai.com/account/rate-limits to learn more.';
const NO_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization " +
  'header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API ' +
  'key from https://platform.openai.com/account/api-keys.';

function errorBody(options: {
  message: string;
  type: string;
  param?: string | null;
  code?: string | null;
}) {
  const { message, type, param = null, code = null } = options;
  return { error: { message, type, param, code } };
}

/** OpenAI's status, type and wording for each error. */
function openaiError(spec: ErrorSpec): { status: number; body: unknown } {
  switch (spec.kind) {
    case 'invalid_request': {
      const { message, param, code } = spec;
      return {
        status: 400,
        body: errorBody({ message, type: 'invalid_request_error', param, code }),
      };
    }
    case 'missing_key':
    case 'missing_version':
      return { status: 401, body: errorBody({ message: NO_KEY, type: 'invalid_request_error' }) };
    case 'invalid_key': {
      const message =
        'Incorrect API key provided: sk-sim****. You can find your API key at ' +
        'https://platform.openai.com/account/api-keys.';
      const body = errorBody({ message, type: 'invalid_request_error', code: 'invalid_api_key' });
      return { status: 401, body };
    }
    case 'rate_limited': {
      const unit = spec.resource === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
      const message =
        `Rate limit reached for ${spec.model} in organization org-simulator on ${unit}: ` +
        `Limit ${spec.limit}, Used ${spec.used}, Requested ${spec.requested}. ` +
        `Please try again in ${formatGoDuration(spec.retryAfterMs)}. ${RATE_LIMIT_HELP}`;
      const body = errorBody({ message, type: spec.resource, code: 'rate_limit_exceeded' });
      return { status: 429, body };
    }
    case 'request_too_large': {
      const message =
        `Request too large for ${spec.model} in organization org-simulator on tokens per min ` +
        `(TPM): Limit ${spec.limit}, Requested ${spec.requested}. The input or output tokens ` +
        `must be reduced in order to run successfully. ${RATE_LIMIT_HELP}`;
      return {
        status: 429,
        body: errorBody({ message, type: 'tokens', code: 'rate_limit_exceeded' }),
      };
    }
    default:
      return serverSideError(spec);
  }
}

function serverSideError(spec: ErrorSpec): { status: number; body: unknown } {
  switch (spec.kind) {
    case 'context_length': {
      const message =
        `This model's maximum context length is ${spec.limit} tokens. However, your messages ` +
        `resulted in ${spec.requested} tokens. Please reduce the length of the messages.`;
      const type = 'invalid_request_error';
      const body = errorBody({ message, type, param: 'messages', code: 'context_length_exceeded' });
      return { status: 400, body };
    }
    case 'not_found': {
      const message = `Invalid URL (${spec.method} ${spec.path})`;
      return { status: 404, body: errorBody({ message, type: 'invalid_request_error' }) };
    }
    case 'payload_too_large': {
      const message = 'The request body is larger than the simulator accepts.';
      return { status: 413, body: errorBody({ message, type: 'invalid_request_error' }) };
    }
    case 'unavailable': {
      const message = 'The server is overloaded or not ready yet.';
      return { status: 503, body: errorBody({ message, type: 'server_error' }) };
    }
    case 'overloaded': {
      // OpenAI itself does not send 529; the simulator offers it on both APIs.
      const message = 'The server is currently overloaded. Please try again later.';
      return { status: 529, body: errorBody({ message, type: 'overloaded_error' }) };
    }
    default: {
      const message = 'The server had an error while processing your request. Sorry about that!';
      return { status: 500, body: errorBody({ message, type: 'server_error' }) };
    }
  }
}

/** The stream's error event: a data line holding an error object, as OpenAI sends it. */
const STREAM_ERROR = sseFrame(serverSideError({ kind: 'server_error' }).body);

function fingerprint(model: string): string {
  const hex = (text: string) => hashString(text).toString(16).padStart(8, '0');
  return `fp_${hex(model)}${hex(`${model}#`).slice(0, 2)}`;
}

function usage(context: ReplyContext) {
  const { request, reply, cachedTokens } = context;
  return {
    prompt_tokens: request.promptTokens,
    completion_tokens: reply.outputTokens,
    total_tokens: request.promptTokens + reply.outputTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reply.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function body(context: ReplyContext): unknown {
  const { request, reply, plan } = context;
  const message = {
    role: 'assistant',
    content: reply.refusal === undefined ? reply.text : null,
    refusal: reply.refusal ?? null,
    annotations: [],
  };
  const choice = { index: 0, message, logprobs: null, finish_reason: reply.finish };
  return {
    id: context.newId('chatcmpl-', 29),
    object: 'chat.completion',
    created: Math.floor(context.nowMs / 1000),
    model: request.model,
    choices: plan.emptyChoices ? [] : [choice],
    ...(plan.noUsage ? {} : { usage: usage(context) }),
    service_tier: 'default',
    system_fingerprint: fingerprint(request.model),
  };
}

/**
 * The chunks OpenAI streams: a role chunk, content pieces, a chunk with
 * an empty delta and the finish reason, then (with include_usage) a chunk
 * with no choices and the usage, and `[DONE]`. With include_usage every
 * other chunk carries `usage: null`; without it, no usage key at all.
 */
function streamFrames(context: ReplyContext): StreamFrame[] {
  const { request, reply, plan } = context;
  const base = {
    id: context.newId('chatcmpl-', 29),
    object: 'chat.completion.chunk',
    created: Math.floor(context.nowMs / 1000),
    model: request.model,
    service_tier: 'default',
    system_fingerprint: fingerprint(request.model),
  };
  const noUsage = request.includeUsage ? { usage: null } : {};
  const chunk = (choices: unknown[]) => sseFrame({ ...base, choices, ...noUsage });
  const delta = (value: object, finish: string | null = null) =>
    chunk([{ index: 0, delta: value, logprobs: null, finish_reason: finish }]);

  if (plan.streamFault === 'stream_error_before_content') return [STREAM_ERROR];
  const frames: StreamFrame[] = [];
  if (plan.emptyChoicesFirst || plan.emptyChoices) frames.push(chunk([]));
  if (!plan.emptyChoices) {
    frames.push(delta({ role: 'assistant', content: '', refusal: null }));
    const field = reply.refusal === undefined ? 'content' : 'refusal';
    const pieces = chunkText(reply.refusal ?? reply.text);
    // Faults after content strike once half the pieces (at least one) are out.
    const cut = Math.min(pieces.length, Math.max(1, Math.floor(pieces.length / 2)));
    for (const [index, piece] of pieces.entries()) {
      frames.push(delta({ [field]: piece }));
      if (index + 1 !== cut) continue;
      if (plan.streamFault === 'stream_error_after_content') return [...frames, STREAM_ERROR];
      if (plan.streamFault === 'stream_drop') return [...frames, { drop: true }];
    }
    frames.push(delta({}, reply.finish));
  }
  // `no_usage`: a compatible server that ignores include_usage and never reports tokens.
  if (request.includeUsage && !plan.noUsage) {
    frames.push(sseFrame({ ...base, choices: [], usage: usage(context) }));
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

function checkHeaders(headers: IncomingHttpHeaders): ErrorSpec | undefined {
  const match = /^Bearer\s+(\S+)/i.exec(headers.authorization ?? '');
  return match ? undefined : { kind: 'missing_key' };
}

/** OpenAI Chat Completions on the wire, `POST /v1/chat/completions`. */
export const openaiDialect: Dialect = {
  name: 'openai',
  contextWindowTokens: 128_000,
  requestIdHeader: 'x-request-id',
  newRequestId: (newId) => newId('req_', 32),
  checkHeaders,
  parse: parseOpenAiRequest,
  error: (spec) => openaiError(spec),
  rateHeaders: ({ snapshot, overrides }) => openaiRateHeaders(snapshot, overrides),
  extraHeaders: ({ processingMs }) => ({
    'openai-processing-ms': String(processingMs),
    'openai-version': '2020-10-01',
  }),
  body,
  streamFrames,
};
