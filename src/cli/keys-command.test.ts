import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import type { ApiKeyView } from '../keys/api-key-record.js';
import type { KeysConfig } from '../keys/keys-config.js';
import { PostgresKeyStore } from '../keys/postgres-key-store.js';
import { RequestAccess } from '../keys/request-access.js';
import { SqliteKeyStore } from '../keys/sqlite-key-store.js';
import { parseConfig } from '../config/load-config.js';
import { runKeysCommand, type KeysCommandOptions } from './keys-command.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CREATED_MS = Date.UTC(2026, 0, 5, 9);

const CONFIG_YAML = `
providers:
  p: { kind: openai, base_url: 'http://127.0.0.1:9/v1', api_key: test-key }
tiers:
  cheap: [{ provider: p, model: gpt-4o-mini-2024-07-18 }]
  mid: [{ provider: p, model: gpt-4o-2024-08-06 }]
  heavy: [{ provider: p, model: o1-2024-12-17 }]
logging: { level: silent }
`;

/** A directory with a configuration file; keys default to `switchyard.db` beside it. */
function workspace(): { dir: string; configPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-keys-cli-'));
  const configPath = join(dir, 'switchyard.yaml');
  writeFileSync(configPath, CONFIG_YAML);
  return { dir, configPath };
}

async function run(args: string[], options: KeysCommandOptions = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runKeysCommand(
    args,
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
    { env: {}, now: () => CREATED_MS, ...options },
  );
  return { code, stdout, stderr };
}

async function createJson(args: string[], options: KeysCommandOptions = {}) {
  const result = await run(['create', '--json', ...args], options);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ApiKeyView & { key: string };
}

describe('switchyard keys on the configuration’s store', () => {
  it('creates a key in switchyard.db beside the configuration, printing the key once', async () => {
    const { dir, configPath } = workspace();
    const created = await run([
      'create',
      '--config',
      configPath,
      '--owner',
      'search team',
      '--tiers',
      'cheap,mid',
      '--daily-usd',
      '5',
      '--monthly-usd',
      '100',
    ]);
    expect(created.code).toBe(0);
    const key = /^key: (sk-sy-[0-9A-Za-z]{32})$/m.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    expect(created.stdout).toContain('owner:        search team');
    expect(created.stdout).toContain('tiers:        cheap,mid');
    expect(created.stdout).toContain('daily USD:    5');
    expect(created.stdout).toContain('created:      2026-01-05T09:00:00.000Z');
    expect(created.stderr).toContain('only time the key is shown');

    const store = new SqliteKeyStore({ path: join(dir, 'switchyard.db') });
    const [record] = await store.list();
    await store.close();
    expect(record).toMatchObject({
      owner: 'search team',
      allowedTiers: ['cheap', 'mid'],
      dailyBudgetUsd: 5,
      monthlyBudgetUsd: 100,
    });

    const listed = await run(['list', '--config', configPath]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(record!.id);
    expect(listed.stdout).toContain(record!.displayPrefix);
    expect(listed.stdout).not.toContain(key!.slice(6));
  });

  it('makes a key the gateway admits, and a revocation it refuses', async () => {
    const { dir, configPath } = workspace();
    const created = await createJson(['--config', configPath, '--owner', 'batch jobs']);
    const { config } = parseConfig(CONFIG_YAML, { env: {}, baseDir: dir, source: configPath });
    const access = await RequestAccess.open({
      config: { ...config, keys: { store: { kind: 'sqlite', path: join(dir, 'switchyard.db') } } },
      logger: silentLogger(),
    });
    const job = {
      plan: { startTier: 'cheap' },
      messages: [{ role: 'user' as const, content: 'hello' }],
      contract: undefined,
      maxTokens: 16,
      maxCostUsd: 0.05,
    };
    const headers = { authorization: `Bearer ${created.key}` };
    try {
      expect(access.open).toBe(false);
      expect((await access.admit({ headers, job })).keyId).toBe(created.id);

      const revoked = await run(['revoke', created.id, '--config', configPath, '--json']);
      expect(revoked.code).toBe(0);
      const view = JSON.parse(revoked.stdout) as ApiKeyView;
      expect(view.status).toBe('revoked');
      await expect(access.admit({ headers, job })).rejects.toMatchObject({ status: 401 });

      const changed = await run(['update', created.id, '--owner', 'x', '--config', configPath]);
      expect(changed.code).toBe(1);
      expect(changed.stderr).toBe(
        `switchyard keys: id: API key "${created.id}" was revoked at ${view.revoked_at} ` +
          'and can no longer be changed\n',
      );
    } finally {
      await access.close();
    }
  });

  it("names the flag, in the CLI's words, when a budget is not a number", async () => {
    const { configPath } = workspace();
    const result = await run([
      'create',
      '--config',
      configPath,
      '--owner',
      'a',
      '--daily-usd',
      'lots',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--daily-usd: must be a number of USD, 0 or more, or none for no limit',
    );
  });

  it('shows and updates a key, changing only the fields given', async () => {
    const { configPath } = workspace();
    const created = await createJson([
      '--config',
      configPath,
      '--owner',
      'a',
      '--daily-usd',
      '2',
      '--tiers',
      'mid',
    ]);

    const updated = await run([
      'update',
      created.id,
      '--config',
      configPath,
      '--daily-usd',
      'none',
      '--monthly-usd',
      '40.5',
      '--json',
    ]);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      owner: 'a',
      allowed_tiers: ['mid'],
      daily_budget_usd: null,
      monthly_budget_usd: 40.5,
    });
    const widened = await run(['update', created.id, '--config', configPath, '--tiers', 'all']);
    expect(widened.stdout).toContain('tiers:        all');

    const shown = await run(['show', created.id, '--config', configPath]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`id:           ${created.id}`);
    expect(shown.stdout).toContain('monthly USD:  40.5');
    expect(shown.stdout).toContain('status:       active');
  });

  it('lists nothing helpfully when there is no key', async () => {
    const { configPath } = workspace();
    const listed = await run(['list', '--config', configPath]);
    expect([listed.code, listed.stdout]).toEqual([
      0,
      'No API keys. Create one with: switchyard keys create --owner NAME\n',
    ]);
    // Nothing was there to list from, and nothing was made by listing.
    expect(listed.stderr).toMatch(/^switchyard keys: no key store at .*switchyard\.db yet\n$/);
    expect(existsSync(join(dirname(configPath), 'switchyard.db'))).toBe(false);
    expect(JSON.parse((await run(['list', '--json', '--config', configPath])).stdout)).toEqual([]);
  });
});

describe('switchyard keys --store', () => {
  it('uses the SQLite file it names instead of the configuration’s, making its directory', async () => {
    const { dir, configPath } = workspace();
    const created = await createJson(
      ['--config', configPath, '--store', 'sqlite:data/other.db', '--owner', 'x'],
      { cwd: dir },
    );
    const other = new SqliteKeyStore({ path: join(dir, 'data', 'other.db') });
    expect((await other.get(created.id))?.owner).toBe('x');
    await other.close();
    expect((await run(['list', '--json', '--config', configPath])).stdout).toBe('[]\n');
  });
});

describe('switchyard keys on PostgreSQL', () => {
  const schema = `sy_keys_cli_${randomBytes(5).toString('hex')}`;
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('creates and revokes in the schema the keys section names', async () => {
    const { configPath } = workspace();
    const keys: KeysConfig = { store: { kind: 'postgres', connectionString: PG_URL, schema } };
    const created = await createJson(['--config', configPath, '--owner', 'pg team'], { keys });
    await run(['revoke', created.id, '--config', configPath], { keys });

    const store = await PostgresKeyStore.open({ connectionString: PG_URL, schema });
    const record = await store.get(created.id);
    await store.close();
    expect(record).toMatchObject({ owner: 'pg team', revokedAtMs: CREATED_MS });
    expect(record?.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('switchyard keys refusing', () => {
  it('exits 2 naming the flag at fault', async () => {
    const { configPath } = workspace();
    const cases: [string[], string][] = [
      [['create'], '--owner: is required'],
      [['create', '--owner', 'x', '--tiers', 'cheap,gold'], '--tiers: unknown tier "gold"'],
      [['create', '--owner', 'x', '--daily-usd', 'lots'], '--daily-usd: must be a number'],
      [['create', '--owner', 'x', '--monthly-usd', ''], '--monthly-usd: must be a number'],
      [['show'], 'show needs a key id'],
      [['update', 'key_abc'], 'update needs at least one of'],
      [['list', '--owner', 'x'], '--owner does not apply to list'],
      [['rotate', 'key_abc'], 'unknown command "rotate"'],
      [[], 'name a command'],
      [['list', '--colour'], "Unknown option '--colour'"],
    ];
    for (const [args, message] of cases) {
      const result = await run([...args, '--config', configPath]);
      expect([args, result.code]).toEqual([args, 2]);
      expect(result.stderr).toContain(message);
      expect(result.stdout).toBe('');
    }
  });

  it('exits 1 for a key that does not exist', async () => {
    const { configPath } = workspace();
    const result = await run(['revoke', 'key_nosuchkey0000', '--config', configPath]);
    expect([result.code, result.stderr]).toEqual([
      1,
      'switchyard keys: id: no API key "key_nosuchkey0000"\n',
    ]);
  });

  it('exits 2 on an invalid configuration, before touching any store', async () => {
    const { dir } = workspace();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `${CONFIG_YAML}retry: { max_retries: -1 }\n`);
    const result = await run(['list', '--config', bad]);
    expect([result.code, result.stderr]).toEqual([
      2,
      'switchyard: invalid configuration: retry.max_retries: must be >= 0\n',
    ]);
  });

  it('prints its usage on --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: switchyard keys <command>');
  });
});
