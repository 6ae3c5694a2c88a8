import type { Logger } from '../logging/logger.js';
import { describeChange, type PolicyChange } from './policy-change.js';

export interface WebhookNotifierOptions {
  url: string;
  logger: Logger;
  /** Default: the global fetch (undici). */
  fetch?: typeof fetch;
  /** Per message; default 5 s. */
  timeoutMs?: number;
  /** Messages in flight beyond this are dropped (and logged); default 20. */
  maxInFlight?: number;
}

/**
 * Posts each policy change to a Slack-compatible incoming webhook as
 * `{"text": "..."}`. Posting never blocks or fails a request: it runs in the
 * background, a failure is logged, and a flood beyond `maxInFlight` is
 * dropped rather than queued without bound. A message is not retried, so a
 * webhook that is down when a change happens never hears of it; the log
 * line and `GET /admin/policies` still show it.
 */
export class WebhookNotifier {
  readonly #options: Required<Omit<WebhookNotifierOptions, 'fetch'>> & { fetch: typeof fetch };
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: WebhookNotifierOptions) {
    this.#options = {
      timeoutMs: 5000,
      maxInFlight: 20,
      fetch: globalThis.fetch,
      ...options,
    };
  }

  notify(change: PolicyChange): void {
    const { logger, maxInFlight } = this.#options;
    if (this.#inFlight.size >= maxInFlight) {
      logger.warn({ policy: change.policy, subject: change.subject }, 'policy webhook dropped');
      return;
    }
    const post = this.#post(describeChange(change)).finally(() => this.#inFlight.delete(post));
    this.#inFlight.add(post);
  }

  /** Resolves when every message sent so far has been answered or has failed. */
  async flush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  async #post(text: string): Promise<void> {
    const { url, logger, timeoutMs } = this.#options;
    try {
      const response = await this.#options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Drain the body so the connection can be reused.
      await response.arrayBuffer();
      if (!response.ok) logger.warn({ status: response.status }, 'policy webhook refused');
    } catch (error) {
      logger.warn({ err: error }, 'policy webhook failed');
    }
  }
}
