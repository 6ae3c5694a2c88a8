import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logging/logger.js';

/** A logger at `info` whose lines are parsed into `lines` as they are written. */
export function logLines(): {
  lines: Array<{ msg: string } & Record<string, unknown>>;
  logger: Logger;
} {
  const lines: Array<{ msg: string } & Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}
