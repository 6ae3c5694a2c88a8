import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../config/config-types.js';
import { parseConfig } from '../config/load-config.js';
import { GatewayError } from '../errors/gateway-error.js';
import { silentLogger } from '../logging/logger.js';
import type { BudgetStore } from '../state/budget-store.js';
import { openTestRedis, type TestRedis } from '../state/test-redis.js';
import { REPO_ROOT, simConfigYaml } from '../test-support/gateway-harness.js';
import type { NewApiKeyInput } from './key-input.js';
import { KeyManager } from './key-manager.js';
import type { KeysConfig } from './keys-config.js';
import { PostgresKeyStore } from './postgres-key-store.js';
import { RequestAccess, type RequestAccessOptions } from './request-access.js';
import { requestWorstCaseUsd } from './request-worst-case.js';
import { SqliteKeyStore } from './sqlite-key-store.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NOON_MS = Date.UTC(2026, 2, 10, 12);

/** A classification on the cheap tier: it may escalate to mid and heavy (o1). */
const JOB = {
  plan: { startTier: 'cheap' },
  messages: [{ role: 'user' as const, content: 'The parcel arrived broken.' }],
  contract: undefined,
  maxTokens: 512,
  maxCostUsd: 0.05,
};

const INPUT: NewApiKeyInput = {
  owner: 'search team',
  allowedTiers: [],
  dailyBudgetUsd: null,
  monthlyBudgetUsd: null,
};

function gatewayConfig(extraYaml = ''): GatewayConfig {
  // The simulator's URL is never called: RequestAccess makes no upstream call.
  const yaml = simConfigYaml('http://127.0.0.1:9', extraYaml);
  return parseConfig(yaml, { env: {}, baseDir: REPO_ROOT, source: 'test' }).config;
}

function sqliteKeys(): KeysConfig {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-access-'));
  return { store: { kind: 'sqlite', path: join(dir, 'keys.db') } };
}

const opened: RequestAccess[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((access) => access.close()));
});

async function openAccess(
  options: Partial<RequestAccessOptions> & { keys?: KeysConfig } = {},
): Promise<RequestAccess> {
  const { keys = sqliteKeys(), config = gatewayConfig(), ...rest } = options;
  const access = await RequestAccess.open({
    config: { ...config, keys },
    logger: silentLogger(),
    ...rest,
  });
  opened.push(access);
  return access;
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** The worst case the gateway holds for `JOB`: two o1 completions' worth, under the cap. */
function worstCaseUsd(config: GatewayConfig): number {
  return requestWorstCaseUsd({ config, job: JOB });
}

describe('RequestAccess with no key in the store', () => {
  it('is open and admits a request without a key, unattributed', async () => {
    const access = await openAccess();
    expect(access.open).toBe(true);

    const admission = await access.admit({ headers: {}, job: JOB });
    expect(admission).toMatchObject({ keyId: null, allowedTiers: undefined, reservedUsd: 0 });
    await admission.settle(0.01);
  });

  it('closes at once when its own admin API creates a key', async () => {
    const access = await openAccess();
    await access.keys.create(INPUT);
    access.noteKeyCreated();

    expect(access.open).toBe(false);
    expect((await refusal(access.admit({ headers: {}, job: JOB }))).status).toBe(401);
  });

  it('notices a key made elsewhere (the CLI) on its next look at the store', async () => {
    const keys = sqliteKeys();
    const clock = { ms: NOON_MS };
    const access = await openAccess({ keys, now: () => clock.ms, openRecheckMs: 5000 });
    const cli = new SqliteKeyStore({ path: (keys.store as { path: string }).path });
    await new KeyManager({ store: cli }).create(INPUT);
    await cli.close();

    clock.ms += 4999;
    expect((await access.admit({ headers: {}, job: JOB })).keyId).toBeNull();
    clock.ms += 1;
    expect((await refusal(access.admit({ headers: {}, job: JOB }))).status).toBe(401);
    expect(access.open).toBe(false);
  });

  it('stays closed when its only key is revoked, rather than opening up', async () => {
    const keys = sqliteKeys();
    const setup = await openAccess({ keys });
    const { record } = await setup.keys.create(INPUT);
    await setup.keys.revoke(record.id);

    const access = await openAccess({ keys });
    expect(access.open).toBe(false);
    expect((await refusal(access.admit({ headers: {}, job: JOB }))).status).toBe(401);
  });
});

describe('RequestAccess with keys', () => {
  it('answers 401 without a key, with a stranger key and with a revoked one', async () => {
    const access = await openAccess();
    const { record, plaintext } = await access.keys.create(INPUT);
    access.noteKeyCreated();

    const none = await refusal(access.admit({ headers: {}, job: JOB }));
    expect([none.status, none.type]).toEqual([401, 'unauthorized']);
    const stranger = await refusal(
      access.admit({ headers: bearer(`sk-sy-${'A'.repeat(32)}`), job: JOB }),
    );
    expect([stranger.status, stranger.message]).toEqual([
      401,
      'authorization: the API key is not valid',
    ]);

    expect((await access.admit({ headers: bearer(plaintext), job: JOB })).keyId).toBe(record.id);
    await access.keys.revoke(record.id);
    const revoked = await refusal(access.admit({ headers: bearer(plaintext), job: JOB }));
    expect([revoked.status, revoked.message]).toEqual([
      401,
      'authorization: the API key has been revoked',
    ]);
  });

  it('answers 403 for a tier the key may not use, and hands on its tiers', async () => {
    const access = await openAccess();
    const { plaintext } = await access.keys.create({ ...INPUT, allowedTiers: ['cheap'] });
    access.noteKeyCreated();

    const admission = await access.admit({ headers: bearer(plaintext), job: JOB });
    expect(admission.allowedTiers).toEqual(['cheap']);
    const heavy = await refusal(
      access.admit({ headers: bearer(plaintext), job: JOB, tier: 'heavy' }),
    );
    expect([heavy.status, heavy.type, heavy.details['field']]).toEqual([403, 'forbidden', 'tier']);
  });

  it('holds the worst case of only the tiers the key may use', async () => {
    const access = await openAccess();
    const cheapOnly = await access.keys.create({ ...INPUT, allowedTiers: ['cheap'] });
    const anyTier = await access.keys.create(INPUT);
    access.noteKeyCreated();
    const config = gatewayConfig();

    const cheap = await access.admit({ headers: bearer(cheapOnly.plaintext), job: JOB });
    const any = await access.admit({ headers: bearer(anyTier.plaintext), job: JOB });
    expect(cheap.reservedUsd).toBe(
      requestWorstCaseUsd({ config, job: JOB, allowedTiers: ['cheap'] }),
    );
    expect(any.reservedUsd).toBe(worstCaseUsd(config));
    expect(cheap.reservedUsd).toBeLessThan(any.reservedUsd / 10);
  });

  it('answers 402 budget_exceeded naming the key and window', async () => {
    const access = await openAccess();
    const { record, plaintext } = await access.keys.create({ ...INPUT, dailyBudgetUsd: 0 });
    access.noteKeyCreated();

    const error = await refusal(access.admit({ headers: bearer(plaintext), job: JOB }));
    expect([error.status, error.type]).toEqual([402, 'budget_exceeded']);
    expect(error.details).toMatchObject({ api_key_id: record.id, window: 'day', limit_usd: 0 });
  });

  it('counts the settled cost and frees the rest of the hold', async () => {
    const config = gatewayConfig();
    const worstUsd = worstCaseUsd(config);
    const access = await openAccess({ config });
    const { record, plaintext } = await access.keys.create({
      ...INPUT,
      dailyBudgetUsd: worstUsd,
    });
    access.noteKeyCreated();

    const first = await access.admit({ headers: bearer(plaintext), job: JOB });
    expect(first.reservedUsd).toBe(worstUsd);
    expect((await refusal(access.admit({ headers: bearer(plaintext), job: JOB }))).status).toBe(
      402,
    );
    await first.settle(0.0000126);
    expect((await access.usage(record)).day).toMatchObject({
      spentUsd: 0.0000126,
      reservedUsd: 0,
    });
    // The budget now has worstUsd - 0.0000126 left: less than one more worst case.
    expect((await refusal(access.admit({ headers: bearer(plaintext), job: JOB }))).status).toBe(
      402,
    );
  });

  it('gives the whole hold back on release, for a request that never reached upstream', async () => {
    const config = gatewayConfig();
    const access = await openAccess({ config });
    const { plaintext } = await access.keys.create({
      ...INPUT,
      dailyBudgetUsd: worstCaseUsd(config),
    });
    access.noteKeyCreated();

    const first = await access.admit({ headers: bearer(plaintext), job: JOB });
    await first.release();
    await first.settle(1); // a second settle of the same admission counts nothing
    const second = await access.admit({ headers: bearer(plaintext), job: JOB });
    expect(second.keyId).not.toBeNull();
  });

  it('refuses with 503 when the key store cannot be read, not letting the request through', async () => {
    const keys = sqliteKeys();
    const store = new SqliteKeyStore({ path: (keys.store as { path: string }).path });
    const access = await RequestAccess.open({
      config: { ...gatewayConfig(), keys },
      logger: silentLogger(),
      keyStore: store,
    });
    const { plaintext } = await access.keys.create(INPUT);
    access.noteKeyCreated();
    await store.close();

    const error = await refusal(access.admit({ headers: bearer(plaintext), job: JOB }));
    expect([error.status, error.message]).toEqual([
      503,
      'authorization: the key store is unavailable; try again',
    ]);
  });

  it('refuses with 503 when the budget store fails, and settles without throwing', async () => {
    const failing: BudgetStore = {
      reserve: () => Promise.reject(new Error('connection reset')),
      settle: () => Promise.reject(new Error('connection reset')),
      usage: () => Promise.reject(new Error('connection reset')),
    };
    const access = await openAccess({ budgetStore: failing });
    const { plaintext } = await access.keys.create(INPUT);
    access.noteKeyCreated();

    const error = await refusal(access.admit({ headers: bearer(plaintext), job: JOB }));
    expect([error.status, error.type, error.details['field']]).toEqual([
      503,
      'overloaded',
      'budget',
    ]);
  });
});

describe('twenty concurrent requests on a budget that fits one', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await openTestRedis({ clients: 2 });
  });
  afterAll(async () => {
    await redis.cleanup();
  });

  async function burst(accesses: RequestAccess[], plaintext: string) {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        accesses[index % accesses.length]!.admit({ headers: bearer(plaintext), job: JOB }),
      ),
    );
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    return {
      admitted: outcomes.filter((o) => o.status === 'fulfilled').length,
      refusedTypes: new Set(refused.map((error) => (error as GatewayError).type)),
    };
  }

  it('admits exactly one with the in-memory budget store', async () => {
    const config = gatewayConfig();
    const access = await openAccess({ config });
    const { plaintext } = await access.keys.create({
      ...INPUT,
      dailyBudgetUsd: worstCaseUsd(config),
    });
    access.noteKeyCreated();

    expect(await burst([access], plaintext)).toEqual({
      admitted: 1,
      refusedTypes: new Set(['budget_exceeded']),
    });
  });

  it('admits exactly one across two replicas sharing PostgreSQL keys and Redis budgets', async () => {
    const schema = `sy_access_${randomBytes(5).toString('hex')}`;
    const keys: KeysConfig = {
      store: { kind: 'postgres', connectionString: PG_URL, schema },
    };
    const config = gatewayConfig(
      `redis: { url: "redis://127.0.0.1:6379", key_prefix: "${redis.prefix}" }`,
    );
    try {
      const replicas = [
        await openAccess({ config, keys, redis: redis.clients[0]! }),
        await openAccess({ config, keys, redis: redis.clients[1]! }),
      ];
      const { plaintext } = await replicas[0]!.keys.create({
        ...INPUT,
        dailyBudgetUsd: worstCaseUsd(config),
      });
      replicas[0]!.noteKeyCreated();
      replicas[1]!.noteKeyCreated();

      expect(await burst(replicas, plaintext)).toEqual({
        admitted: 1,
        refusedTypes: new Set(['budget_exceeded']),
      });
    } finally {
      await Promise.all(opened.splice(0).map((access) => access.close()));
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  it('refuses to start with redis.url set but no Redis client', async () => {
    const config = gatewayConfig('redis: { url: "redis://127.0.0.1:6379" }');
    await expect(openAccess({ config })).rejects.toThrow(
      'redis.url is set but no Redis client was passed to RequestAccess',
    );
  });
});

describe('PostgresKeyStore through RequestAccess', () => {
  it('is the store the keys section names', async () => {
    const schema = `sy_access_${randomBytes(5).toString('hex')}`;
    const keys: KeysConfig = { store: { kind: 'postgres', connectionString: PG_URL, schema } };
    try {
      const access = await openAccess({ keys });
      const { record } = await access.keys.create(INPUT);
      const direct = await PostgresKeyStore.open({ connectionString: PG_URL, schema });
      expect(await direct.get(record.id)).toEqual(record);
      await direct.close();
    } finally {
      await Promise.all(opened.splice(0).map((access) => access.close()));
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });
});
