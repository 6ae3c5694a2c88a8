import type { Logger } from './logger.js';

/**
 * Logs a dependency's outage once, however many requests meet it, and its
 * end once: the first failure at `level`, the first success after it at
 * info. A store that fails on every request while Redis is down would
 * otherwise write a line per request.
 */
export class OutageLog {
  readonly #logger: Logger;
  readonly #recovered: string;
  #down = false;

  constructor(logger: Logger, options: { recovered: string }) {
    this.#logger = logger;
    this.#recovered = options.recovered;
  }

  failed(level: 'warn' | 'error', fields: Record<string, unknown>, message: string): void {
    if (this.#down) return;
    this.#down = true;
    this.#logger[level](fields, message);
  }

  ok(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#logger.info(this.#recovered);
  }
}
