import { destination, pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that must never reach a log line even when an object holding them is
 * logged by mistake: provider keys, client keys and prompt text.
 */
const REDACT = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'prompt',
  'messages',
  '*.prompt',
  '*.messages',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read lines back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info';
  const base = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined };
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
