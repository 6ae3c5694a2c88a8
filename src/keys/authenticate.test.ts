import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { assertTierAllowed, authenticate, credentialFrom, isTierAllowed } from './authenticate.js';
import { KeyManager } from './key-manager.js';
import { SqliteKeyStore } from './sqlite-key-store.js';

let store: SqliteKeyStore;
let manager: KeyManager;

beforeEach(() => {
  store = new SqliteKeyStore({ path: ':memory:' });
  manager = new KeyManager({ store, now: () => 1_700_000_000_000 });
});

afterEach(() => store.close());

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GatewayError))
    throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

const INPUT = {
  owner: 'search team',
  allowedTiers: [],
  dailyBudgetUsd: null,
  monthlyBudgetUsd: null,
};

describe('credentialFrom', () => {
  it('reads a bearer token, whatever the case of the scheme', () => {
    expect(credentialFrom({ authorization: 'Bearer sk-sy-abc' })).toBe('sk-sy-abc');
    expect(credentialFrom({ authorization: 'bearer   sk-sy-abc ' })).toBe('sk-sy-abc');
  });

  it('falls back to x-api-key, as Anthropic SDKs send it', () => {
    expect(credentialFrom({ 'x-api-key': 'sk-sy-xyz' })).toBe('sk-sy-xyz');
  });

  it('prefers Authorization when both are sent', () => {
    expect(credentialFrom({ authorization: 'Bearer sk-sy-a', 'x-api-key': 'sk-sy-b' })).toBe(
      'sk-sy-a',
    );
  });

  it('finds nothing in empty headers', () => {
    expect(credentialFrom({ authorization: '  ', 'x-api-key': '' })).toBeUndefined();
  });
});

describe('authenticate', () => {
  it('gives the record of a valid key sent as a bearer token', async () => {
    const { record, plaintext } = await manager.create(INPUT);
    const found = await authenticate({ store, headers: { authorization: `Bearer ${plaintext}` } });
    expect(found).toEqual(record);
  });

  it('gives the record of a valid key sent as x-api-key', async () => {
    const { record, plaintext } = await manager.create(INPUT);
    expect(await authenticate({ store, headers: { 'x-api-key': plaintext } })).toEqual(record);
  });

  it('answers 401 when no key is sent', async () => {
    const error = await rejection(authenticate({ store, headers: {} }));
    expect([error.status, error.type]).toEqual([401, 'unauthorized']);
    expect(error.message).toBe(
      'authorization: an API key is required: send Authorization: Bearer sk-sy-… or x-api-key',
    );
  });

  it('answers a malformed key and an unknown key with the same 401', async () => {
    const malformed = await rejection(
      authenticate({ store, headers: { authorization: 'Bearer hello' } }),
    );
    const unknown = await rejection(
      authenticate({ store, headers: { authorization: `Bearer sk-sy-${'a'.repeat(32)}` } }),
    );
    expect([malformed.status, malformed.message]).toEqual([
      401,
      'authorization: the API key is not valid',
    ]);
    expect([unknown.status, unknown.message]).toEqual([
      401,
      'authorization: the API key is not valid',
    ]);
  });

  it('answers 401 for a revoked key', async () => {
    const { record, plaintext } = await manager.create(INPUT);
    await manager.revoke(record.id);

    const error = await rejection(authenticate({ store, headers: { 'x-api-key': plaintext } }));
    expect([error.status, error.message]).toEqual([
      401,
      'authorization: the API key has been revoked',
    ]);
  });
});

describe('tier checks', () => {
  it('allows every tier to a key with no tier list', () => {
    expect(isTierAllowed({ allowedTiers: [] }, 'heavy')).toBe(true);
  });

  it('answers 403 for a tier outside the key list, naming the allowed ones', () => {
    const key = { id: 'key_1', allowedTiers: ['cheap', 'mid'] };
    expect(() => assertTierAllowed(key, 'mid')).not.toThrow();

    let error: unknown;
    try {
      assertTierAllowed(key, 'heavy');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GatewayError);
    const gatewayError = error as GatewayError;
    expect([gatewayError.status, gatewayError.type, gatewayError.message]).toEqual([
      403,
      'forbidden',
      'tier: this API key may not use tier "heavy" (allowed: cheap, mid)',
    ]);
  });
});
