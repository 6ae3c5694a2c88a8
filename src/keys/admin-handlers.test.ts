import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { ContractRegistry } from '../contracts/contract-registry.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { RouteEngine } from '../routing/route-engine.js';
import { createGatewayServer } from '../server/gateway-server.js';
import { REPO_ROOT, simConfigYaml } from '../test-support/gateway-harness.js';
import { systemClock } from '../util/clock.js';
import { adminKeyRoutes } from './admin-handlers.js';
import { RequestAccess } from './request-access.js';

const TOKEN = 'adm-test-0123456789abcdef';

interface Mounted {
  url: string;
  access: RequestAccess;
  dbPath: string;
  logLines: () => string;
}

const servers: Server[] = [];
const accesses: RequestAccess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(accesses.splice(0).map((access) => access.close()));
});

/**
 * The real gateway server (router, error shape, request ids) with the admin
 * routes mounted as `startGateway` mounts extra routes. No upstream is called.
 */
async function mount(options: { token: string | undefined }): Promise<Mounted> {
  const { config } = parseConfig(simConfigYaml('http://127.0.0.1:9'), {
    env: {},
    baseDir: REPO_ROOT,
    source: 'test',
  });
  const dbPath = join(mkdtempSync(join(tmpdir(), 'switchyard-admin-')), 'keys.db');
  let log = '';
  const logger: Logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        log += String(chunk);
        done();
      },
    }),
  });
  const access = await RequestAccess.open({
    config: { ...config, keys: { store: { kind: 'sqlite', path: dbPath } } },
    logger,
  });
  accesses.push(access);
  const server = createGatewayServer({
    config,
    engine: new RouteEngine({ config, providers: new Map(), clock: systemClock }),
    contracts: ContractRegistry.fromDirectory(config.contractsDir),
    logger,
    clock: systemClock,
    extraRoutes: adminKeyRoutes({
      access,
      token: options.token,
      knownTiers: Object.keys(config.tiers),
      logger,
    }),
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, access, dbPath, logLines: () => log };
}

interface Call {
  method?: string;
  body?: unknown;
  token?: string | null;
}

async function call(m: Mounted, path: string, options: Call = {}) {
  const token = options.token === undefined ? TOKEN : options.token;
  const method = options.method ?? 'GET';
  // Bodies go only with the methods that read one.
  const withBody = options.body !== undefined && (method === 'POST' || method === 'PATCH');
  const response = await fetch(`${m.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(withBody ? { body: JSON.stringify(options.body) } : {}),
  });
  const body = (await response.json()) as Record<string, unknown> & {
    error?: Record<string, unknown>;
  };
  return { status: response.status, body, headers: response.headers };
}

async function createKey(m: Mounted, body: Record<string, unknown> = { owner: 'search team' }) {
  const created = await call(m, '/admin/keys', { method: 'POST', body });
  expect(created.status).toBe(201);
  return created.body as { id: string; key: string } & Record<string, unknown>;
}

const ROUTES: [string, string][] = [
  ['POST', '/admin/keys'],
  ['GET', '/admin/keys'],
  ['GET', '/admin/keys/key_abc'],
  ['PATCH', '/admin/keys/key_abc'],
  ['DELETE', '/admin/keys/key_abc'],
];

describe('the admin token', () => {
  it('is required on every route: none or a wrong one is 401', async () => {
    const m = await mount({ token: TOKEN });
    for (const [method, path] of ROUTES) {
      for (const token of [null, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
        const answer = await call(m, path, { method, token, body: { owner: 'x' } });
        expect([method, path, answer.status, answer.body.error?.type]).toEqual([
          method,
          path,
          401,
          'unauthorized',
        ]);
      }
    }
    expect(await m.access.keys.list()).toEqual([]);
  });

  it('turns every route into 404 when no token is configured, and says so at start-up', async () => {
    const m = await mount({ token: undefined });
    for (const [method, path] of ROUTES) {
      const answer = await call(m, path, { method, body: { owner: 'x' } });
      expect([answer.status, answer.body.error?.type]).toEqual([404, 'not_found']);
      expect(String(answer.body.error?.message)).toMatch(/^admin: the admin API is disabled/);
    }
    expect(m.logLines()).toContain('admin API disabled: admin.token is not set');
  });

  it('is not accepted as an API key for routed requests', async () => {
    const m = await mount({ token: TOKEN });
    await createKey(m);
    await expect(
      m.access.admit({
        headers: { authorization: `Bearer ${TOKEN}` },
        job: {
          plan: { startTier: 'cheap' },
          messages: [{ role: 'user', content: 'hi' }],
          contract: undefined,
          maxTokens: 16,
          maxCostUsd: 0.05,
        },
      }),
    ).rejects.toMatchObject({ status: 401 });
  });
});

describe('POST /admin/keys', () => {
  it('creates a key, shows it once, and closes the open gateway at once', async () => {
    const m = await mount({ token: TOKEN });
    expect(m.access.open).toBe(true);

    const created = await call(m, '/admin/keys', {
      method: 'POST',
      body: {
        owner: 'search team',
        allowed_tiers: ['cheap', 'mid'],
        daily_budget_usd: 5,
        monthly_budget_usd: 100,
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const key = String(created.body.key);
    expect(key).toMatch(/^sk-sy-[0-9A-Za-z]{32}$/);
    expect(created.body).toMatchObject({
      owner: 'search team',
      allowed_tiers: ['cheap', 'mid'],
      daily_budget_usd: 5,
      monthly_budget_usd: 100,
      status: 'active',
      revoked_at: null,
      display_prefix: `${key.slice(0, 8)}…${key.slice(-4)}`,
    });
    expect(m.access.open).toBe(false);
  });

  it('answers bad input with 400 naming the field', async () => {
    const m = await mount({ token: TOKEN });
    const cases: [unknown, string][] = [
      [{}, 'owner'],
      [{ owner: 'x', allowed_tiers: ['cheap', 'gold'] }, 'allowed_tiers[1]'],
      [{ owner: 'x', daily_budget_usd: -1 }, 'daily_budget_usd'],
      [{ owner: 'x', monthly_budget_usd: '5' }, 'monthly_budget_usd'],
      [{ owner: 'x', hash: 'abc' }, 'hash'],
    ];
    for (const [body, field] of cases) {
      const answer = await call(m, '/admin/keys', { method: 'POST', body });
      expect([answer.status, answer.body.error?.type, answer.body.error?.field]).toEqual([
        400,
        'invalid_request',
        field,
      ]);
      expect(String(answer.body.error?.message).startsWith(`${field}:`)).toBe(true);
    }
    expect(await m.access.keys.list()).toEqual([]);
  });
});

describe('reading, updating and revoking', () => {
  it('lists keys without their secret, oldest first', async () => {
    const m = await mount({ token: TOKEN });
    const first = await createKey(m, { owner: 'a' });
    const second = await createKey(m, { owner: 'b' });

    const listed = await call(m, '/admin/keys');
    const data = listed.body.data as Record<string, unknown>[];
    expect(data.map((key) => key.id)).toEqual([first.id, second.id]);
    for (const view of data) {
      expect(Object.keys(view).sort()).toEqual(
        [
          'allowed_tiers',
          'created_at',
          'daily_budget_usd',
          'display_prefix',
          'id',
          'monthly_budget_usd',
          'owner',
          'revoked_at',
          'status',
        ].sort(),
      );
    }
  });

  it("shows one key with its day's and month's spend and holds", async () => {
    const m = await mount({ token: TOKEN });
    const created = await createKey(m, { owner: 'a', daily_budget_usd: 2 });
    const admission = await m.access.admit({
      headers: { authorization: `Bearer ${created.key}` },
      job: {
        plan: { startTier: 'cheap' },
        messages: [{ role: 'user', content: 'hi' }],
        contract: undefined,
        maxTokens: 16,
        maxCostUsd: 0.05,
      },
    });
    await admission.settle(0.25);

    const shown = await call(m, `/admin/keys/${created.id}`);
    expect(shown.status).toBe(200);
    const usage = shown.body.usage as Record<string, Record<string, unknown>>;
    expect(usage.day).toMatchObject({ limit_usd: 2, spent_usd: 0.25, reserved_usd: 0 });
    expect(usage.month).toMatchObject({ limit_usd: null, spent_usd: 0.25, reserved_usd: 0 });
    expect(String(usage.day!.window)).toMatch(/^day:\d{4}-\d{2}-\d{2}$/);
  });

  it('changes only the fields a PATCH names', async () => {
    const m = await mount({ token: TOKEN });
    const created = await createKey(m, { owner: 'a', daily_budget_usd: 2, allowed_tiers: ['mid'] });

    const patched = await call(m, `/admin/keys/${created.id}`, {
      method: 'PATCH',
      body: { daily_budget_usd: null, monthly_budget_usd: 30 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      owner: 'a',
      allowed_tiers: ['mid'],
      daily_budget_usd: null,
      monthly_budget_usd: 30,
    });
    const bad = await call(m, `/admin/keys/${created.id}`, {
      method: 'PATCH',
      body: { allowed_tiers: 'all' },
    });
    expect([bad.status, bad.body.error?.field]).toEqual([400, 'allowed_tiers']);
  });

  it('revokes with DELETE, effective on the next request, and keeps the key listed', async () => {
    const m = await mount({ token: TOKEN });
    const created = await createKey(m);
    const headers = { authorization: `Bearer ${created.key}` };
    const job = {
      plan: { startTier: 'cheap' },
      messages: [{ role: 'user' as const, content: 'hi' }],
      contract: undefined,
      maxTokens: 16,
      maxCostUsd: 0.05,
    };
    expect((await m.access.admit({ headers, job })).keyId).toBe(created.id);

    const revoked = await call(m, `/admin/keys/${created.id}`, { method: 'DELETE' });
    expect(revoked.body).toMatchObject({ id: created.id, status: 'revoked' });
    await expect(m.access.admit({ headers, job })).rejects.toMatchObject({ status: 401 });
    const again = await call(m, `/admin/keys/${created.id}`, { method: 'DELETE' });
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);

    const patched = await call(m, `/admin/keys/${created.id}`, {
      method: 'PATCH',
      body: { owner: 'someone else' },
    });
    expect(patched.status).toBe(409);
    expect(patched.body.error).toMatchObject({
      type: 'conflict',
      field: 'id',
      revoked_at: revoked.body.revoked_at,
      message: `id: API key "${created.id}" was revoked at ${revoked.body.revoked_at} and can no longer be changed`,
    });
    const shown = await call(m, `/admin/keys/${created.id}`);
    expect(shown.body.owner).toBe(created.owner);
  });

  it('answers 404 naming the id for a key that does not exist or cannot', async () => {
    const m = await mount({ token: TOKEN });
    for (const [method, path] of [
      ['GET', '/admin/keys/key_doesnotexist00'],
      ['PATCH', '/admin/keys/key_doesnotexist00'],
      ['DELETE', '/admin/keys/key_doesnotexist00'],
      ['GET', '/admin/keys/not-a-key-id'],
      ['GET', '/admin/keys/'],
    ] as const) {
      const answer = await call(m, path, { method, body: { owner: 'x' } });
      expect([path, answer.status, answer.body.error?.field]).toEqual([path, 404, 'id']);
    }
  });
});

describe('the plaintext key', () => {
  it('is never stored, logged or shown again', async () => {
    const m = await mount({ token: TOKEN });
    const created = await createKey(m, { owner: 'payments' });
    await call(m, `/admin/keys/${created.id}`, { method: 'PATCH', body: { owner: 'billing' } });
    const listed = JSON.stringify((await call(m, '/admin/keys')).body);
    const shown = JSON.stringify((await call(m, `/admin/keys/${created.id}`)).body);
    await call(m, `/admin/keys/${created.id}`, { method: 'DELETE' });
    await m.access.close();
    accesses.splice(accesses.indexOf(m.access), 1);

    const stored = ['', '-wal', '-shm']
      .map((suffix) => `${m.dbPath}${suffix}`)
      .filter((path) => existsSync(path))
      .map((path) => readFileSync(path).toString('latin1'))
      .join('');
    const secret = created.key.slice('sk-sy-'.length);
    expect(stored).toContain(created.id);
    expect(stored).not.toContain(secret);
    expect(listed).not.toContain(secret);
    expect(shown).not.toContain(secret);
    expect(m.logLines()).toContain(created.id);
    expect(m.logLines()).not.toContain(secret);
    expect(m.logLines()).not.toContain(TOKEN);
  });
});
