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
  // Buffered: lines go out in writes of about 4 KB, or every 100 ms when
  // fewer come, instead of one blocking write per request line. pino flushes
  // what is left when the process exits; a process killed outright (SIGKILL,
  // out of memory) can lose the last 100 ms of lines.
  const stdout = destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES });
  setInterval(() => stdout.flush(), LOG_FLUSH_MS).unref();
  return pino(base, stdout);
}

const LOG_BUFFER_BYTES = 4096;
const LOG_FLUSH_MS = 100;

/** A logger that drops everything, for tests that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
