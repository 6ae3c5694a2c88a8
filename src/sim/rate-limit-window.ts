/** A per-model request and token budget, as configured on a model. */
export interface RateLimit {
  requests: number;
  tokens: number;
  windowMs: number;
}

/** What the window holds now, for rate-limit headers. */
export interface RateLimitSnapshot {
  limitRequests: number;
  remainingRequests: number;
  limitTokens: number;
  remainingTokens: number;
  /** Input and output tokens left, for Anthropic's split headers. */
  remainingInputTokens: number;
  remainingOutputTokens: number;
  /** Milliseconds until the window starts afresh. */
  resetMs: number;
}

/** Why a request was turned away, with the wait that would admit it. */
export interface RateLimitRejection {
  resource: 'requests' | 'tokens';
  limit: number;
  used: number;
  retryAfterMs: number;
}

/** Limits reported on every response when a model has no `rateLimit`; never enforced. */
export const UNENFORCED_LIMIT: RateLimit = {
  requests: 10_000,
  tokens: 30_000_000,
  windowMs: 60_000,
};

/**
 * A fixed window of requests and tokens. Real providers refill a bucket
 * continuously; a fixed window is coarser but makes 429s predictable in
 * tests: the (requests + 1)th request of a window is refused, and the first
 * request after `windowMs` starts a new window.
 */
export class RateLimitWindow {
  readonly #limit: RateLimit;
  readonly #enforced: boolean;
  readonly #now: () => number;
  #startMs = Number.NEGATIVE_INFINITY;
  #requests = 0;
  #inputTokens = 0;
  #outputTokens = 0;

  constructor(options: { limit?: RateLimit; now: () => number }) {
    this.#limit = options.limit ?? UNENFORCED_LIMIT;
    this.#enforced = options.limit !== undefined;
    this.#now = options.now;
  }

  /** Counts the request in, or says why it is refused (only for a configured limit). */
  admit(promptTokens: number): RateLimitRejection | undefined {
    this.#roll();
    const resetMs = this.#resetMs();
    if (this.#enforced && this.#requests >= this.#limit.requests) {
      const used = this.#requests;
      return { resource: 'requests', limit: this.#limit.requests, used, retryAfterMs: resetMs };
    }
    const usedTokens = this.#inputTokens + this.#outputTokens;
    if (this.#enforced && usedTokens + promptTokens > this.#limit.tokens) {
      const limit = this.#limit.tokens;
      return { resource: 'tokens', limit, used: usedTokens, retryAfterMs: resetMs };
    }
    this.#requests++;
    return undefined;
  }

  /** Records the tokens an admitted request used once its reply is known. */
  charge(usage: { inputTokens: number; outputTokens: number }): void {
    this.#inputTokens += usage.inputTokens;
    this.#outputTokens += usage.outputTokens;
  }

  snapshot(): RateLimitSnapshot {
    this.#roll();
    const limitTokens = this.#limit.tokens;
    const remaining = (used: number) => Math.max(0, limitTokens - used);
    return {
      limitRequests: this.#limit.requests,
      remainingRequests: Math.max(0, this.#limit.requests - this.#requests),
      limitTokens,
      remainingTokens: remaining(this.#inputTokens + this.#outputTokens),
      remainingInputTokens: remaining(this.#inputTokens),
      remainingOutputTokens: remaining(this.#outputTokens),
      resetMs: this.#resetMs(),
    };
  }

  #resetMs(): number {
    return Math.max(0, this.#startMs + this.#limit.windowMs - this.#now());
  }

  /** Starts a new window once the current one has run out. */
  #roll(): void {
    const now = this.#now();
    if (now - this.#startMs < this.#limit.windowMs) return;
    this.#startMs = now;
    this.#requests = 0;
    this.#inputTokens = 0;
    this.#outputTokens = 0;
  }
}
