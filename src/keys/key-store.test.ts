import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from './api-key-record.js';
import type { KeyStore } from './key-store.js';
import { PostgresKeyStore } from './postgres-key-store.js';
import { SqliteKeyStore } from './sqlite-key-store.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function record(id: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id,
    hash: `hash-of-${id}`,
    displayPrefix: 'sk-sy-Ab…wxyz',
    owner: `team ${id}`,
    allowedTiers: ['cheap', 'mid'],
    dailyBudgetUsd: 5,
    monthlyBudgetUsd: 100.25,
    createdAtMs: 1_700_000_000_000,
    revokedAtMs: null,
    ...overrides,
  };
}

/** The same behaviour, whichever database holds the keys. */
function describeKeyStore(name: string, open: () => Promise<KeyStore>) {
  describe(name, () => {
    let store: KeyStore;

    beforeEach(async () => {
      store = await open();
      return () => store.close();
    });

    it('finds a key by its hash and by its id, exactly as inserted', async () => {
      await store.insert(record('key_a'));

      expect(await store.findByHash('hash-of-key_a')).toEqual(record('key_a'));
      expect(await store.get('key_a')).toEqual(record('key_a'));
      expect(await store.findByHash('hash-of-nothing')).toBeUndefined();
      expect(await store.get('key_nothing')).toBeUndefined();
    });

    it('keeps no budget and no tier list as null and empty', async () => {
      const open = record('key_b', {
        allowedTiers: [],
        dailyBudgetUsd: null,
        monthlyBudgetUsd: null,
      });
      await store.insert(open);
      expect(await store.get('key_b')).toEqual(open);
    });

    it('refuses a second key with the same hash', async () => {
      await store.insert(record('key_a'));
      await expect(store.insert(record('key_b', { hash: 'hash-of-key_a' }))).rejects.toThrow();
    });

    it('lists every key oldest first, revoked ones included', async () => {
      await store.insert(record('key_late', { createdAtMs: 2000 }));
      await store.insert(record('key_early', { createdAtMs: 1000, revokedAtMs: 1500 }));

      const ids = (await store.list()).map((key) => key.id);
      expect(ids).toEqual(['key_early', 'key_late']);
    });

    it('changes only the fields an update names', async () => {
      await store.insert(record('key_a'));
      const updated = await store.update('key_a', {
        dailyBudgetUsd: null,
        allowedTiers: ['heavy'],
      });

      expect(updated).toEqual(record('key_a', { dailyBudgetUsd: null, allowedTiers: ['heavy'] }));
      expect(await store.get('key_a')).toEqual(updated);
    });

    it('answers an update of a key that does not exist with undefined', async () => {
      expect(await store.update('key_none', { owner: 'x' })).toBeUndefined();
      expect(await store.update('key_none', {})).toBeUndefined();
    });

    it('keeps the first revocation time when revoked twice', async () => {
      await store.insert(record('key_a'));

      expect((await store.revoke('key_a', 5000))?.revokedAtMs).toBe(5000);
      expect((await store.revoke('key_a', 9000))?.revokedAtMs).toBe(5000);
      expect(await store.revoke('key_none', 5000)).toBeUndefined();
    });
  });
}

describeKeyStore('SqliteKeyStore', async () => new SqliteKeyStore({ path: ':memory:' }));

describe('PostgresKeyStore', () => {
  const schema = `sy_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  let schemaIndex = 0;
  const schemas: string[] = [];

  afterAll(async () => {
    for (const name of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await admin.end();
  });

  describeKeyStore('on a fresh schema', async () => {
    const name = `${schema}_${schemaIndex++}`;
    schemas.push(name);
    return PostgresKeyStore.open({ connectionString: PG_URL, schema: name });
  });

  describe('opening', () => {
    beforeAll(() => {
      schemas.push(`${schema}_race`);
    });

    it('creates the schema once when several gateways open it at the same moment', async () => {
      const name = `${schema}_race`;
      const stores = await Promise.all(
        Array.from({ length: 4 }, () =>
          PostgresKeyStore.open({ connectionString: PG_URL, schema: name }),
        ),
      );
      await stores[0]!.insert(record('key_a'));

      expect(await stores[3]!.get('key_a')).toEqual(record('key_a'));
      await Promise.all(stores.map((store) => store.close()));
    });

    it('refuses a schema name that would need quoting', async () => {
      await expect(
        PostgresKeyStore.open({ connectionString: PG_URL, schema: 'A"; DROP' }),
      ).rejects.toThrow('schema "A"; DROP" must match');
    });
  });
});
