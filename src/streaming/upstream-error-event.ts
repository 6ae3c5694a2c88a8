import { redactUpstreamMessage } from '../providers/classify-http-error.js';
import type { FailureReason } from '../providers/types.js';
import type { StreamErrorEvent } from './stream-events.js';

interface Classification {
  errorType: FailureReason;
  retryable: boolean;
}

/** How each provider error type, sent inside a stream, is classified. */
const BY_TYPE = new Map<string, Classification>(
  Object.entries<Classification>({
    // Anthropic's `event: error` types.
    api_error: { errorType: 'server_error', retryable: true },
    overloaded_error: { errorType: 'overloaded', retryable: true },
    rate_limit_error: { errorType: 'rate_limited', retryable: true },
    timeout_error: { errorType: 'timeout', retryable: true },
    invalid_request_error: { errorType: 'invalid_request', retryable: false },
    request_too_large: { errorType: 'invalid_request', retryable: false },
    authentication_error: { errorType: 'auth', retryable: false },
    permission_error: { errorType: 'auth', retryable: false },
    not_found_error: { errorType: 'not_found', retryable: false },
    // OpenAI's error types (server_error is the one seen mid-stream).
    server_error: { errorType: 'server_error', retryable: true },
    tokens: { errorType: 'rate_limited', retryable: true },
    requests: { errorType: 'rate_limited', retryable: true },
  }),
);

/** Error codes that say more than the type they come with. */
const BY_CODE = new Map<string, Classification>(
  Object.entries<Classification>({
    rate_limit_exceeded: { errorType: 'rate_limited', retryable: true },
    insufficient_quota: { errorType: 'rate_limited', retryable: false },
    context_length_exceeded: { errorType: 'context_length', retryable: false },
  }),
);

const UNKNOWN: Classification = { errorType: 'server_error', retryable: true };

/**
 * The error event for an error a provider sent inside a stream that had
 * already answered 200. An unknown type counts as a transient server
 * error: the status line said the request was fine, so something broke
 * on the provider's side.
 */
export function upstreamErrorEvent(error: {
  message: string;
  type: string | undefined;
  code: string | undefined;
}): StreamErrorEvent {
  const known = BY_CODE.get(error.code ?? '') ?? BY_TYPE.get(error.type ?? '');
  const { errorType, retryable } = known ?? UNKNOWN;
  return {
    type: 'error',
    // Like an error body, the frame may quote our key or organisation.
    message: redactUpstreamMessage(error.message),
    errorType,
    retryable,
    ...(error.type !== undefined ? { upstreamType: error.type } : {}),
  };
}
