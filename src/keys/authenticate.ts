import { GatewayError } from '../errors/gateway-error.js';
import { hashApiKey, isApiKeyFormat } from './api-key.js';
import type { ApiKeyRecord } from './api-key-record.js';
import type { KeyStore } from './key-store.js';

/** Request headers as node:http gives them (names lower-cased). */
export type HeaderBag = Record<string, string | string[] | undefined>;

/**
 * The client's key from `Authorization: Bearer …` (OpenAI SDKs) or, failing
 * that, `x-api-key` (Anthropic SDKs). Undefined when neither is sent.
 */
export function credentialFrom(headers: HeaderBag): string | undefined {
  const authorization = first(headers['authorization'])?.trim();
  if (authorization) {
    const match = /^bearer\s+(.+)$/i.exec(authorization);
    return match ? match[1]!.trim() : authorization;
  }
  const apiKey = first(headers['x-api-key'])?.trim();
  return apiKey || undefined;
}

/**
 * The key record of a request, or a 401 (`unauthorized`): no key, a string
 * that is not a Switchyard key, a key no store knows (these two answer alike,
 * so a caller learns nothing from the difference), or a revoked key. The
 * lookup is by hash in the store on every request; a revocation takes
 * effect on every replica at once.
 */
export async function authenticate(options: {
  store: KeyStore;
  headers: HeaderBag;
}): Promise<ApiKeyRecord> {
  const credential = credentialFrom(options.headers);
  if (credential === undefined) {
    throw unauthorized('an API key is required: send Authorization: Bearer sk-sy-… or x-api-key');
  }
  const record = isApiKeyFormat(credential)
    ? await options.store.findByHash(hashApiKey(credential))
    : undefined;
  if (!record) throw unauthorized('the API key is not valid');
  if (record.revokedAtMs !== null) throw unauthorized('the API key has been revoked');
  return record;
}

/** Whether the key may use `tier`; a key with no tier list may use all. */
export function isTierAllowed(record: Pick<ApiKeyRecord, 'allowedTiers'>, tier: string): boolean {
  return record.allowedTiers.length === 0 || record.allowedTiers.includes(tier);
}

/** A 403 (`forbidden`) unless the key may use `tier`. */
export function assertTierAllowed(
  record: Pick<ApiKeyRecord, 'id' | 'allowedTiers'>,
  tier: string,
): void {
  if (isTierAllowed(record, tier)) return;
  throw new GatewayError(
    'forbidden',
    `tier: this API key may not use tier "${tier}" (allowed: ${record.allowedTiers.join(', ')})`,
    { details: { field: 'tier', tier, allowed_tiers: record.allowedTiers, api_key_id: record.id } },
  );
}

function unauthorized(reason: string): GatewayError {
  return new GatewayError('unauthorized', `authorization: ${reason}`, {
    details: { field: 'authorization' },
  });
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
