import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A reply of a Lua script as ioredis gives it back. */
export type ScriptReply = string | number | null | ScriptReply[];

/**
 * A Lua script run by its SHA-1 (EVALSHA), sent in full (EVAL) only when the
 * server does not know it yet: after a restart, a failover or SCRIPT FLUSH.
 * Redis runs a script atomically, which is what the shared stores rely on.
 */
export class RedisScript {
  readonly #source: string;
  readonly #sha1: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha1 = createHash('sha1').update(source).digest('hex');
  }

  async run(
    redis: Redis,
    options: { keys: string[]; args: (string | number)[] },
  ): Promise<ScriptReply> {
    const { keys, args } = options;
    try {
      return (await redis.evalsha(this.#sha1, keys.length, ...keys, ...args)) as ScriptReply;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await redis.eval(this.#source, keys.length, ...keys, ...args)) as ScriptReply;
    }
  }
}
