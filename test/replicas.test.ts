import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryTestPg, TEST_PG_URL } from '../src/audit/audit-test-support.js';
import { SHARED_RATE_LIMIT_REFRESH_MS } from '../src/app/build-gate.js';
import { openTestRedis, TEST_REDIS_URL, type TestRedis } from '../src/state/test-redis.js';
import {
  childConfigYaml,
  childEnv,
  CLI_PATH,
  spawnGateway,
  spawnSimulator,
  writeConfigFile,
  type SpawnedProcess,
} from '../src/test-support/spawn-gateway.js';
import { REPO_ROOT } from '../src/test-support/gateway-harness.js';

// Two gateway processes on their own ports share one Redis (a key prefix of
// this run's own), one PostgreSQL (audit and key schemas of this run's own)
// and one simulator process. These tests run the built CLI (`npm test`
// builds it first).

const CHEAP_MODEL = 'gpt-4o-mini-2024-07-18';
const MID_MODEL = 'gpt-4o-2024-08-06';
const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;
const RUN = randomBytes(5).toString('hex');
const AUDIT_SCHEMA = `audit_test_${RUN}`;
const KEYS_SCHEMA = `keys_test_${RUN}`;

let sim: SpawnedProcess;
let redis: TestRedis;
let clientKey: string;
const running: SpawnedProcess[] = [];

interface SimStats {
  requests: number;
  byModel: Record<string, number>;
}

interface Envelope {
  request_id: string;
  model_used: string;
  cost_usd: number;
  cache_hit: boolean;
  attempts: { model: string; outcome: string }[];
}

interface ErrorBody {
  /** The error's details sit beside `type` (`spent_usd`, `requested_usd`, …). */
  error: { type: string } & Record<string, unknown>;
}

/** The configuration both replicas of a test run: only the Redis prefix differs per test. */
function replicaYaml(options: { redisPrefix: string }): string {
  return childConfigYaml(
    sim.url,
    `
retry: { max_retries: 0 }
redis: { url: "${TEST_REDIS_URL}", key_prefix: "${options.redisPrefix}" }
keys:
  store: postgres
  postgres_url: "${TEST_PG_URL}"
  postgres_schema: ${KEYS_SCHEMA}
admin: { token: "${ADMIN_TOKEN}" }
audit:
  backend: postgres
  postgres: { url: "${TEST_PG_URL}", schema: ${AUDIT_SCHEMA} }
  flush_interval_ms: 200
`,
  );
}

/** Two gateway processes on one configuration; stopped after the test. */
async function startReplicas(testName: string): Promise<[SpawnedProcess, SpawnedProcess]> {
  const configPath = writeConfigFile(replicaYaml({ redisPrefix: `${redis.prefix}${testName}:` }));
  const [a, b] = await Promise.all([spawnGateway({ configPath }), spawnGateway({ configPath })]);
  running.push(a, b);
  expect(a.url).not.toBe(b.url);
  return [a, b];
}

/** Runs `switchyard keys ...` against this run's key schema; resolves to its JSON output. */
function keysCli(args: string[]): Promise<Record<string, unknown>> {
  const configPath = writeConfigFile(replicaYaml({ redisPrefix: redis.prefix }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, 'keys', ...args, '--config', configPath], {
      cwd: REPO_ROOT,
      env: childEnv(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`switchyard keys exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

async function route(
  gateway: SpawnedProcess,
  options: { prompt: string; key?: string; scenario?: string },
): Promise<{ status: number; body: Envelope & ErrorBody }> {
  const response = await fetch(`${gateway.url}/v1/route`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${options.key ?? clientKey}`,
      ...(options.scenario ? { 'x-sim-scenario': options.scenario } : {}),
    },
    body: JSON.stringify({
      task_type: 'classification',
      prompt: options.prompt,
      contract: 'classification',
    }),
  });
  return { status: response.status, body: (await response.json()) as Envelope & ErrorBody };
}

async function admin(
  gateway: SpawnedProcess,
  options: { method: string; path: string; body?: unknown },
): Promise<Record<string, unknown>> {
  const response = await fetch(`${gateway.url}${options.path}`, {
    method: options.method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${options.method} ${options.path}: ${JSON.stringify(body)}`);
  return body;
}

interface DayUsage {
  spent_usd: number;
  reserved_usd: number;
}

/**
 * The key's spend today once no request holds any of its budget. A request
 * is settled just after its answer is sent, so a client that sends the next
 * request at once can still meet the last one's hold; waiting for it keeps
 * the figures below exact. Bounded to 5 s.
 */
async function settledUsage(gateway: SpawnedProcess, keyId: string): Promise<DayUsage> {
  for (let i = 0; i < 100; i++) {
    const shown = await admin(gateway, { method: 'GET', path: `/admin/keys/${keyId}` });
    const day = (shown['usage'] as { day: DayUsage }).day;
    if (day.reserved_usd === 0) return day;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`key ${keyId} still held budget after 5 s`);
}

async function simStats(): Promise<SimStats> {
  return (await (await fetch(`${sim.url}/_sim/stats`)).json()) as SimStats;
}

function calls(stats: SimStats, model: string): number {
  return stats.byModel[model] ?? 0;
}

beforeAll(async () => {
  redis = await openTestRedis({ clients: 1 });
  sim = await spawnSimulator();
  // Made before any gateway starts, so both start closed (a key is required).
  const created = await keysCli(['create', '--owner', `replicas-${RUN}`, '--json']);
  clientKey = String(created['key']);
}, 60_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((child) => child.stop()));
});

afterAll(async () => {
  await sim?.stop();
  await redis?.cleanup();
  for (const schema of [AUDIT_SCHEMA, KEYS_SCHEMA]) {
    await queryTestPg(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
});

// Generous: each test starts two processes, and a first request warms a tokenizer in each.
describe('two gateway processes sharing Redis and PostgreSQL', { timeout: 90_000 }, () => {
  it('honours on one replica a circuit breaker opened through the other', async () => {
    const [a, b] = await startReplicas('breaker');
    const before = await simStats();

    // Three failures in a row on the cheap deployment open its breaker (no retries).
    for (let i = 0; i < 3; i++) {
      const failed = await route(a, { prompt: `breaker ${i}`, scenario: 'server_error' });
      expect(failed.status).toBe(502);
      expect(failed.body.error.type).toBe('upstream_error');
    }
    const afterFailures = await simStats();
    expect(calls(afterFailures, CHEAP_MODEL) - calls(before, CHEAP_MODEL)).toBe(3);

    const served = await route(b, { prompt: 'breaker honoured' });
    expect(served.status).toBe(200);
    expect(served.body.model_used).toBe(MID_MODEL);
    expect(served.body.attempts.map((attempt) => attempt.model)).toEqual([MID_MODEL]);
    const afterB = await simStats();
    expect(calls(afterB, CHEAP_MODEL)).toBe(calls(afterFailures, CHEAP_MODEL));
    expect(calls(afterB, MID_MODEL) - calls(afterFailures, MID_MODEL)).toBe(1);
  });

  it('routes one replica around a deployment the other was told to cool down by a 429', async () => {
    const [a, b] = await startReplicas('ratelimit');
    const limited = await route(a, { prompt: 'rate limited', scenario: 'rate_limit:120' });
    expect(limited.status).toBe(429);
    const afterLimit = await simStats();

    // B reads shared rate limits every SHARED_RATE_LIMIT_REFRESH_MS (1 s);
    // three intervals leave room for a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 3 * SHARED_RATE_LIMIT_REFRESH_MS));
    const served = await route(b, { prompt: 'rate limit honoured' });
    expect(served.status).toBe(200);
    expect(served.body.attempts.map((attempt) => attempt.model)).toEqual([MID_MODEL]);
    const afterB = await simStats();
    expect(calls(afterB, CHEAP_MODEL)).toBe(calls(afterLimit, CHEAP_MODEL));
  });

  it('answers on one replica from the cache the other filled', async () => {
    const [a, b] = await startReplicas('cache');
    const prompt = `cache ${RUN}: the parcel arrived broken.`;

    const first = await route(a, { prompt });
    expect(first.status).toBe(200);
    expect(first.body.cache_hit).toBe(false);
    expect(first.body.cost_usd).toBeGreaterThan(0);
    const afterFirst = await simStats();

    const second = await route(b, { prompt });
    expect(second.status).toBe(200);
    expect(second.body.cache_hit).toBe(true);
    expect(second.body.cost_usd).toBe(0);
    expect(second.body.request_id).not.toBe(first.body.request_id);
    expect(second.body.model_used).toBe(first.body.model_used);
    expect((await simStats()).requests).toBe(afterFirst.requests);
  });

  it('enforces one key budget across both replicas', async () => {
    const [a, b] = await startReplicas('budget');
    const created = await admin(a, {
      method: 'POST',
      path: '/admin/keys',
      body: { owner: `budget-${RUN}`, daily_budget_usd: null },
    });
    const keyId = String(created['id']);
    const key = String(created['key']);

    // One request through A, for the cost of one answer; then a zero budget
    // makes B refuse and say what a request may cost at worst.
    const probe = await route(a, { prompt: 'budget probe 0', key });
    expect(probe.status).toBe(200);
    const answerUsd = probe.body.cost_usd;
    await settledUsage(a, keyId);
    await admin(a, {
      method: 'PATCH',
      path: `/admin/keys/${keyId}`,
      body: { daily_budget_usd: 0 },
    });
    const refused = await route(b, { prompt: 'budget probe 1', key });
    expect(refused.status).toBe(402);
    expect(refused.body.error['spent_usd']).toBeCloseTo(answerUsd, 9);
    const worstUsd = Number(refused.body.error['requested_usd']);
    expect(worstUsd).toBeGreaterThan(answerUsd);

    // Room for about 20 more answers beyond the worst case, whichever replica serves them.
    const limitUsd = Number((answerUsd + worstUsd + 20 * answerUsd).toFixed(9));
    await admin(b, {
      method: 'PATCH',
      path: `/admin/keys/${keyId}`,
      body: { daily_budget_usd: limitUsd },
    });
    const spentVia = new Map<SpawnedProcess, number>([
      [a, answerUsd],
      [b, 0],
    ]);
    let refusal: { via: SpawnedProcess; details: Record<string, unknown> } | undefined;
    // Bounded: the budget fits about 20 answers; 100 requests is far past it.
    for (let i = 0; i < 100 && !refusal; i++) {
      const via = i % 2 === 0 ? a : b;
      const result = await route(via, { prompt: `budget load ${i}`, key });
      if (result.status === 402) refusal = { via, details: result.body.error };
      else {
        expect(result.status).toBe(200);
        spentVia.set(via, spentVia.get(via)! + result.body.cost_usd);
        await settledUsage(via, keyId);
      }
    }

    expect(refusal).toBeDefined();
    const other = refusal!.via === a ? b : a;
    // The refusing replica's own spend would have let the request through;
    // only what the other replica spent took the key past its budget.
    expect(spentVia.get(refusal!.via)! + worstUsd).toBeLessThanOrEqual(limitUsd);
    expect(spentVia.get(other)!).toBeGreaterThan(0);
    const totalUsd = spentVia.get(a)! + spentVia.get(b)!;
    expect(refusal!.details['spent_usd']).toBeCloseTo(totalUsd, 9);
    expect(refusal!.details['reserved_usd']).toBe(0);
    expect(totalUsd + worstUsd).toBeGreaterThan(limitUsd);
    expect((await route(other, { prompt: 'budget after refusal', key })).status).toBe(402);

    for (const gateway of [a, b]) {
      expect((await settledUsage(gateway, keyId)).spent_usd).toBeCloseTo(totalUsd, 9);
    }
  });

  it('writes one audit row per request of either replica to the shared PostgreSQL', async () => {
    const [a, b] = await startReplicas('audit');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const result = await route(i % 2 === 0 ? a : b, { prompt: `audit ${RUN} ${i}` });
      expect(result.status).toBe(200);
      ids.push(result.body.request_id);
    }
    await Promise.all(running.splice(0).map((child) => child.stop()));

    const rows = await queryTestPg<{ request_id: string; copies: string }>(
      `SELECT request_id, count(*) AS copies FROM "${AUDIT_SCHEMA}".requests
       WHERE request_id = ANY($1) GROUP BY request_id`,
      [ids],
    );
    expect(rows.map((row) => [row.request_id, Number(row.copies)]).sort()).toEqual(
      ids.map((id) => [id, 1]).sort(),
    );
  });
});
