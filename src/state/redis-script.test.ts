import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisScript } from './redis-script.js';
import { openTestRedis, type TestRedis } from './test-redis.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await openTestRedis({ clients: 1 });
});

afterAll(async () => {
  await redis.cleanup();
});

describe('RedisScript', () => {
  it('sends the source when the server does not know the script, then runs it by hash', async () => {
    // A fresh comment makes a script no server has seen, so EVALSHA must miss.
    const script = new RedisScript(`-- ${randomUUID()}\nreturn {KEYS[1], ARGV[1]}`);
    const client = redis.clients[0]!;

    expect(await script.run(client, { keys: [`${redis.prefix}k`], args: ['v'] })).toEqual([
      `${redis.prefix}k`,
      'v',
    ]);
    expect(await script.run(client, { keys: [`${redis.prefix}k`], args: [7] })).toEqual([
      `${redis.prefix}k`,
      '7',
    ]);
  });

  it('passes a script error on', async () => {
    const script = new RedisScript(`-- ${randomUUID()}\nreturn redis.call('NOSUCHCOMMAND')`);
    await expect(script.run(redis.clients[0]!, { keys: [], args: [] })).rejects.toThrow(
      /Unknown Redis command/i,
    );
  });
});
