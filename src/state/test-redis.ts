import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** Where tests find Redis: `SWITCHYARD_TEST_REDIS_URL`, else the local server. */
export const TEST_REDIS_URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  /** Separate connections, standing in for separate gateway replicas. */
  clients: Redis[];
  /** A prefix no other test run uses; every key a test writes starts with it. */
  prefix: string;
  /** Deletes every key under the prefix and closes the connections. */
  cleanup(): Promise<void>;
}

/**
 * Connections to the shared test Redis under a random key prefix, so tests
 * running at the same time on the same server never see each other's keys.
 * For tests only; nothing in the gateway uses it.
 */
export async function openTestRedis(options: { clients?: number } = {}): Promise<TestRedis> {
  const count = options.clients ?? 2;
  const prefix = `sy-test:${randomUUID()}:`;
  const clients = Array.from({ length: count }, () => new Redis(TEST_REDIS_URL));
  await Promise.all(clients.map((client) => client.ping()));
  return {
    clients,
    prefix,
    async cleanup() {
      const admin = clients[0]!;
      let cursor = '0';
      // Bounded: a test writes far fewer keys than 1000 scans could visit.
      for (let round = 0; round < 1000; round++) {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
      await Promise.all(clients.map((client) => client.quit()));
    },
  };
}
