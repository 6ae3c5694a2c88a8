import { destination, pino, type Logger } from 'pino';
import { redactFields } from './redact-fields.js';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read lines back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info';
  const base = {
    level,
    base: undefined,
    // Keys, authorization headers and prompt text never reach a line. (Only
    // the logged object is searched: pino does not format a child logger's
    // bindings, and the gateway makes no child loggers.)
    formatters: { log: redactFields },
  };
  if (options.destination) return pino(base, options.destination);
  // Asynchronous: lines logged while a write is under way go out together in
  // the next one, instead of one blocking write per line on the request path.
  // pino flushes what is left when the process exits.
  return pino(base, destination({ dest: 1, sync: false }));
}

/** A logger that drops everything, for tests that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
