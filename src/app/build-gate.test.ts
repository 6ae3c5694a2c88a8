import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentConfig, GatewayConfig } from '../config/config-types.js';
import { parseConfig } from '../config/load-config.js';
import { silentLogger } from '../logging/logger.js';
import { SharedRateLimitTracker } from '../state/shared-rate-limit-tracker.js';
import { openTestRedis, TEST_REDIS_URL, type TestRedis } from '../state/test-redis.js';
import { recordingClock, REPO_ROOT, simConfigYaml } from '../test-support/gateway-harness.js';
import { buildGate, type BuiltGate } from './build-gate.js';

let redis: TestRedis;
const built: BuiltGate[] = [];

beforeAll(async () => {
  redis = await openTestRedis({ clients: 2 });
});

afterEach(async () => {
  await Promise.all(built.splice(0).map((gate) => gate.close()));
});

afterAll(async () => {
  await redis.cleanup();
});

function configFor(options: { redisUrl?: string; prefix?: string } = {}): GatewayConfig {
  const redisYaml = options.redisUrl
    ? `redis: { url: "${options.redisUrl}", key_prefix: "${options.prefix}" }`
    : '';
  const yaml = simConfigYaml('http://127.0.0.1:9', redisYaml);
  return parseConfig(yaml, { env: {}, baseDir: REPO_ROOT, source: 'test' }).config;
}

function gateOn(config: GatewayConfig, client?: Redis): BuiltGate {
  const gate = buildGate({
    config,
    clock: recordingClock(),
    logger: silentLogger(),
    ...(client ? { redis: client } : {}),
    rateLimitRefreshMs: 60_000,
  });
  built.push(gate);
  return gate;
}

function cheapDeployment(config: GatewayConfig): DeploymentConfig {
  return config.tiers['cheap']![0]!;
}

const admitContext = () => ({ estimatedTokens: 100, signal: new AbortController().signal });

async function failThreeTimes(gate: BuiltGate, deployment: DeploymentConfig): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const admission = await gate.gate.admit(deployment, admitContext());
    expect(admission.ok).toBe(true);
    if (admission.ok) admission.release();
    await gate.gate.record(deployment, {
      outcome: 'server_error',
      countsAgainstDeployment: true,
      headers: {},
    });
  }
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('buildGate with Redis', () => {
  it('refuses on a second replica a deployment whose breaker the first one opened', async () => {
    const config = configFor({ redisUrl: TEST_REDIS_URL, prefix: redis.prefix });
    const [first, second] = [gateOn(config, redis.clients[0]), gateOn(config, redis.clients[1])];
    const deployment = cheapDeployment(config);
    expect(first!.shared).toBe(true);

    await failThreeTimes(first!, deployment);

    expect(await second!.gate.admit(deployment, admitContext())).toEqual({
      ok: false,
      reason: 'breaker_open',
    });
    const [status] = await second!.breakers.list(Date.now());
    expect(status).toMatchObject({ deploymentId: deployment.id, state: 'open' });
  });

  it('keeps breakers per process without Redis', async () => {
    const config = configFor();
    const [first, second] = [gateOn(config), gateOn(config)];
    const deployment = cheapDeployment(config);
    expect(first!.shared).toBe(false);

    await failThreeTimes(first!, deployment);

    expect((await first!.gate.admit(deployment, admitContext())).ok).toBe(false);
    const admission = await second!.gate.admit(deployment, admitContext());
    expect(admission.ok).toBe(true);
  });

  it('lets a second replica see the 429 cool-down of the first after a refresh', async () => {
    const config = configFor({ redisUrl: TEST_REDIS_URL, prefix: redis.prefix });
    const [first, second] = [gateOn(config, redis.clients[0]), gateOn(config, redis.clients[1])];
    const deployment = config.tiers['mid']![0]!;
    await first!.gate.record(deployment, {
      outcome: 'rate_limited',
      countsAgainstDeployment: false,
      headers: {},
      retryAfterMs: 60_000,
    });
    await first!.close();

    expect(second!.rateLimits).toBeInstanceOf(SharedRateLimitTracker);
    await (second!.rateLimits as SharedRateLimitTracker).refresh();
    const refusal = await second!.gate.admit(deployment, admitContext());
    expect(refusal).toMatchObject({ ok: false, reason: 'rate_limit_cool_down' });
    // The first replica's 60 s, as the second reads it from Redis.
    const retryAtMs = (refusal as { retryAtMs: number }).retryAtMs;
    expect(retryAtMs - Date.now()).toBeGreaterThan(50_000);
    expect(retryAtMs - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('serves from local breakers, without failing, while Redis is unreachable', async () => {
    const deadUrl = `redis://127.0.0.1:${await closedPort()}`;
    const config = configFor({ redisUrl: deadUrl, prefix: redis.prefix });
    const client = new Redis(deadUrl, { maxRetriesPerRequest: 0, commandTimeout: 500 });
    client.on('error', () => {});
    try {
      const gate = gateOn(config, client);
      const deployment = cheapDeployment(config);
      await failThreeTimes(gate, deployment);

      expect(await gate.gate.admit(deployment, admitContext())).toEqual({
        ok: false,
        reason: 'breaker_open',
      });
    } finally {
      client.disconnect();
    }
  });

  it('refuses to build when redis.url is set but no client was passed', () => {
    const config = configFor({ redisUrl: TEST_REDIS_URL, prefix: redis.prefix });
    expect(() => buildGate({ config, clock: recordingClock(), logger: silentLogger() })).toThrow(
      /no Redis client/,
    );
  });
});
