import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTestRedis, type TestRedis } from '../state/test-redis.js';
import { startHarness, type Harness } from '../test-support/gateway-harness.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_TOKEN = 'adm-gateway-test-0123456789';
const ADMIN_YAML = `admin: { token: "${ADMIN_TOKEN}" }`;

const CLASSIFY = {
  task_type: 'classification',
  prompt: 'The parcel arrived broken and support never answered.',
  contract: 'classification',
};

interface ErrorBody {
  error: Record<string, unknown> & { type: string; message: string; request_id: string };
}

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

async function start(extraYaml = ADMIN_YAML): Promise<Harness> {
  const h = await startHarness({ extraYaml });
  harnesses.push(h);
  return h;
}

async function admin(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${h.gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function createKey(h: Harness, body: Record<string, unknown> = {}) {
  const created = await admin(h, 'POST', '/admin/keys', { owner: 'test team', ...body });
  expect(created.status).toBe(201);
  return created.body as { id: string; key: string };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function errorOf(response: Response, status: number): Promise<ErrorBody['error']> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as ErrorBody;
  expect(body.error.request_id).toBe(response.headers.get('x-request-id'));
  return body.error;
}

/**
 * The worst case the gateway holds for `CLASSIFY`, read from its own 402: a
 * key with a budget of 0 is told what the request would have needed.
 */
async function worstCaseUsd(h: Harness): Promise<number> {
  const probe = await createKey(h, { daily_budget_usd: 0 });
  const error = await errorOf(await h.post('/v1/route', CLASSIFY, bearer(probe.key)), 402);
  await admin(h, 'DELETE', `/admin/keys/${probe.id}`);
  expect(error.requested_usd).toBeGreaterThan(0);
  return error.requested_usd as number;
}

/** Sends 20 requests at once, spread over the gateways; counts answers by status. */
async function burst(gateways: Harness[], key: string): Promise<Record<number, number>> {
  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, index) =>
      gateways[index % gateways.length]!.post('/v1/route', CLASSIFY, bearer(key)),
    ),
  );
  const counts: Record<number, number> = {};
  for (const response of responses) {
    counts[response.status] = (counts[response.status] ?? 0) + 1;
    const body = (await response.json()) as Partial<ErrorBody>;
    if (response.status !== 200) expect(body.error?.type).toBe('budget_exceeded');
  }
  return counts;
}

describe('a gateway with no key', () => {
  it('is open: requests without a key are served', async () => {
    const h = await start();
    expect(h.gateway.services.access.open).toBe(true);
    expect((await h.post('/v1/route', CLASSIFY)).status).toBe(200);
  });
});

describe('a gateway with keys', () => {
  it('answers 401 without a key or with a wrong one, and serves the right one', async () => {
    const h = await start();
    const { key } = await createKey(h);

    const none = await errorOf(await h.post('/v1/route', CLASSIFY), 401);
    expect([none.type, none.message]).toEqual([
      'unauthorized',
      'authorization: an API key is required: send Authorization: Bearer sk-sy-… or x-api-key',
    ]);
    const wrong = `sk-sy-${'Z'.repeat(32)}`;
    expect((await errorOf(await h.post('/v1/route', CLASSIFY, bearer(wrong)), 401)).type).toBe(
      'unauthorized',
    );
    expect((await h.post('/v1/route', CLASSIFY, bearer(key))).status).toBe(200);
    expect((await h.post('/v1/route', CLASSIFY, { 'x-api-key': key })).status).toBe(200);
  });

  it('serves an OpenAI SDK client that sends the key as its apiKey', async () => {
    const h = await start();
    const { key } = await createKey(h);
    const client = new OpenAI({ baseURL: `${h.gateway.url}/v1`, apiKey: key, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'cheap',
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    expect(completion.choices[0]?.message.role).toBe('assistant');

    const stranger = new OpenAI({
      baseURL: `${h.gateway.url}/v1`,
      apiKey: `sk-sy-${'Q'.repeat(32)}`,
      maxRetries: 0,
    });
    await expect(
      stranger.chat.completions.create({
        model: 'cheap',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('answers 403 for a tier the key may not use', async () => {
    const h = await start();
    const { key } = await createKey(h, { allowed_tiers: ['cheap'] });

    const heavy = await errorOf(
      await h.post('/v1/route', { ...CLASSIFY, task_type: 'reasoning' }, bearer(key)),
      403,
    );
    expect([heavy.type, heavy.field, heavy.tier]).toEqual(['forbidden', 'tier', 'heavy']);
    const cheap = await h.post('/v1/route', CLASSIFY, bearer(key));
    expect(cheap.status).toBe(200);
    expect(cheap.headers.get('x-switchyard-tier')).toBe('cheap');
  });

  it('audits a tier refusal under the key that was refused', async () => {
    const h = await startHarness({ extraYaml: ADMIN_YAML });
    const { id, key } = await createKey(h, { allowed_tiers: ['cheap'] });
    const response = await h.post(
      '/v1/route',
      { ...CLASSIFY, task_type: 'reasoning' },
      bearer(key),
    );
    expect(response.status).toBe(403);
    const requestId = response.headers.get('x-request-id');
    await h.close(); // flushes the audit log
    const db = new Database(h.config.audit.sqlite.path, { readonly: true });
    try {
      const row = db
        .prepare('SELECT api_key_id, status_code, error_type FROM requests WHERE request_id = ?')
        .get(requestId);
      expect(row).toEqual({ api_key_id: id, status_code: 403, error_type: 'forbidden' });
    } finally {
      db.close();
    }
  });

  it('refuses a revoked key from its next request on', async () => {
    const h = await start();
    const { id, key } = await createKey(h);
    expect((await h.post('/v1/route', CLASSIFY, bearer(key))).status).toBe(200);

    expect((await admin(h, 'DELETE', `/admin/keys/${id}`)).body.status).toBe('revoked');
    const error = await errorOf(await h.post('/v1/route', CLASSIFY, bearer(key)), 401);
    expect(error.message).toBe('authorization: the API key has been revoked');
    // Revoking the only key locks the gateway; it does not open it again.
    expect((await h.post('/v1/route', CLASSIFY)).status).toBe(401);
  });

  it("counts each answer's cost against the key's day and month", async () => {
    const h = await start();
    const { id, key } = await createKey(h, { daily_budget_usd: 1 });
    let totalUsd = 0;
    for (let i = 0; i < 3; i++) {
      const response = await h.post('/v1/route', CLASSIFY, bearer(key));
      totalUsd += ((await response.json()) as { cost_usd: number }).cost_usd;
    }
    expect(totalUsd).toBeGreaterThan(0);

    const usage = (await admin(h, 'GET', `/admin/keys/${id}`)).body.usage as Record<
      string,
      { spent_usd: number; reserved_usd: number }
    >;
    expect(usage.day!.spent_usd).toBeCloseTo(totalUsd, 9);
    expect(usage.month!.spent_usd).toBeCloseTo(totalUsd, 9);
    expect(usage.day!.reserved_usd).toBe(0);
  });

  it('keeps the admin API behind its token', async () => {
    const h = await start();
    const response = await fetch(`${h.gateway.url}/admin/keys`, { method: 'GET' });
    expect((await errorOf(response, 401)).type).toBe('unauthorized');
    const off = await start('');
    const disabled = await fetch(`${off.gateway.url}/admin/keys`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect((await errorOf(disabled, 404)).type).toBe('not_found');
  });
});

describe('20 concurrent requests on a budget that fits one worst case', () => {
  it('admits exactly one with the in-memory budget counters', async () => {
    const h = await start();
    const worstUsd = await worstCaseUsd(h);
    const { key } = await createKey(h, { daily_budget_usd: worstUsd });

    expect(await burst([h], key)).toEqual({ 200: 1, 402: 19 });
  });

  describe('on two replicas sharing PostgreSQL keys and Redis budgets', () => {
    let redis: TestRedis;
    const schema = `sy_keys_gw_${randomBytes(5).toString('hex')}`;
    beforeAll(async () => {
      redis = await openTestRedis({ clients: 1 });
    });
    afterAll(async () => {
      await redis.cleanup();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    });

    it('admits exactly one across both', async () => {
      const yaml = [
        ADMIN_YAML,
        `keys: { store: postgres, postgres_url: "${PG_URL}", postgres_schema: ${schema} }`,
        `redis: { url: "redis://127.0.0.1:6379", key_prefix: "${redis.prefix}" }`,
      ].join('\n');
      const a = await start(yaml);
      const b = await start(yaml);
      const worstUsd = await worstCaseUsd(a);
      const { id, key } = await createKey(a, { daily_budget_usd: worstUsd });
      // Replica b has not looked at the store since it started open; it does within 5 s.
      b.clock.advance(5000);

      expect(await burst([a, b], key)).toEqual({ 200: 1, 402: 19 });
      const counters = await redis.clients[0]!.keys(`${redis.prefix}budget:{${id}}:*`);
      expect(counters.sort().map((name) => name.split(':').slice(-2)[0])).toEqual(['day', 'month']);
      const shown = await admin(b, 'GET', `/admin/keys/${id}`);
      const day = (shown.body.usage as Record<string, { spent_usd: number }>).day!;
      expect(day.spent_usd).toBeGreaterThan(0);
      expect(day.spent_usd).toBeLessThan(worstUsd);
    });
  });
});
