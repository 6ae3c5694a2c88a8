import type { ServerResponse } from 'node:http';
import type { ChatRequest, Dialect, ErrorSpec } from './dialect.js';
import { sendBody, untilAborted } from './http-io.js';
import type { RateHeaderOverrides } from './rate-limit-headers.js';
import type { RateLimitSnapshot } from './rate-limit-window.js';
import type { Fault } from './scenario-plan.js';

const BAD_GATEWAY_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n' +
  '<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n' +
  '</body>\r\n</html>\r\n';

/** The TPM limit quoted by request_too_large when the model has no rate limit of its own. */
const DEFAULT_TPM_LIMIT = 30_000;

/** Everything needed to answer a request with a fault. */
export interface SendFaultOptions {
  fault: Fault;
  dialect: Dialect;
  response: ServerResponse;
  request: ChatRequest;
  /** The request-id and API-specific headers. */
  headers: Record<string, string>;
  requestId: string;
  snapshot: RateLimitSnapshot;
  /** The model's configured TPM limit, if any. */
  tokensLimit?: number;
  nowMs: number;
  signal: AbortSignal;
}

/**
 * Answers with the fault: an API error with its real status, headers and
 * wording, an HTML page from a proxy, a reset socket, or nothing at all.
 */
export async function sendFault(options: SendFaultOptions): Promise<void> {
  const { fault, response, signal } = options;
  if (fault.kind === 'reset') {
    response.socket?.destroy();
    return;
  }
  if (fault.kind === 'hang') {
    await untilAborted(signal);
    return;
  }
  if (fault.kind === 'bad_gateway_html') {
    const headers = { 'content-type': 'text/html' };
    await sendBody(response, { status: 502, headers, body: BAD_GATEWAY_HTML, signal });
    return;
  }
  const { spec, retryHeaders, overrides } = describeFault(options);
  const { status, body } = options.dialect.error(spec, options.requestId);
  const rateHeaders = options.dialect.rateHeaders({
    snapshot: options.snapshot,
    nowMs: options.nowMs,
    ...(overrides && { overrides }),
  });
  const headers = {
    ...options.headers,
    ...rateHeaders,
    ...retryHeaders,
    'content-type': 'application/json',
  };
  await sendBody(response, { status, headers, body: JSON.stringify(body), signal });
}

interface FaultDescription {
  spec: ErrorSpec;
  retryHeaders?: Record<string, string>;
  overrides?: RateHeaderOverrides;
}

function describeFault(options: SendFaultOptions): FaultDescription {
  const { fault, request, snapshot } = options;
  const rateLimited = (retryAfterMs: number): ErrorSpec => ({
    kind: 'rate_limited',
    model: request.model,
    resource: 'requests',
    limit: snapshot.limitRequests,
    used: snapshot.limitRequests,
    requested: 1,
    retryAfterMs,
  });
  const exhausted = (retryAfterMs: number) => ({ exhausted: true, exhaustedResetMs: retryAfterMs });
  switch (fault.kind) {
    case 'rate_limit': {
      const ms = fault.retryAfterSeconds * 1000;
      const retryHeaders = { 'retry-after': String(fault.retryAfterSeconds) };
      return { spec: rateLimited(ms), retryHeaders, overrides: exhausted(ms) };
    }
    case 'rate_limit_ms': {
      const retryHeaders = { 'retry-after-ms': String(fault.retryAfterMs) };
      const overrides = exhausted(fault.retryAfterMs);
      return { spec: rateLimited(fault.retryAfterMs), retryHeaders, overrides };
    }
    case 'rate_limit_date': {
      // Whole seconds, since an HTTP-date cannot say less.
      const nowMs = Math.floor(options.nowMs / 1000) * 1000;
      const ms = fault.retryAfterSeconds * 1000;
      const date = (epochMs: number) => new Date(epochMs).toUTCString();
      const retryHeaders = { 'retry-after': date(nowMs + ms), date: date(nowMs) };
      return { spec: rateLimited(ms), retryHeaders, overrides: exhausted(ms) };
    }
    case 'rate_limit_bare':
      return { spec: rateLimited(1000), overrides: exhausted(1000) };
    case 'request_too_large': {
      const limit = options.tokensLimit ?? DEFAULT_TPM_LIMIT;
      const asked = request.promptTokens + (request.maxTokens ?? 0);
      return {
        spec: {
          kind: 'request_too_large',
          model: request.model,
          limit,
          requested: Math.max(asked, limit + 20_000),
        },
      };
    }
    case 'context_length': {
      const limit = options.dialect.contextWindowTokens;
      return { spec: { kind: 'context_length', limit, requested: limit + request.promptTokens } };
    }
    case 'auth_error':
      return { spec: { kind: 'invalid_key' } };
    case 'unavailable':
    case 'overloaded':
      return { spec: { kind: fault.kind } };
    default:
      return { spec: { kind: 'server_error' } };
  }
}
