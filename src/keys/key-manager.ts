import { GatewayError } from '../errors/gateway-error.js';
import { generateApiKey, randomBase62, type RandomBytes } from './api-key.js';
import type { ApiKeyPatch, ApiKeyRecord } from './api-key-record.js';
import type { NewApiKeyInput } from './key-input.js';
import type { KeyStore } from './key-store.js';

export interface KeyManagerOptions {
  store: KeyStore;
  /** Epoch ms now. */
  now?: () => number;
  randomBytes?: RandomBytes;
}

/** A key just created: its record, and the plaintext, which exists only here. */
export interface CreatedApiKey {
  record: ApiKeyRecord;
  plaintext: string;
}

/**
 * The operations on keys that the admin API and the CLI share, so both give
 * the same answers: create (the only time a plaintext key exists), read,
 * update and revoke. Input is already validated (see `key-input.ts`).
 */
export class KeyManager {
  readonly #store: KeyStore;
  readonly #now: () => number;
  readonly #randomBytes: RandomBytes | undefined;

  constructor(options: KeyManagerOptions) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#randomBytes = options.randomBytes;
  }

  async create(input: NewApiKeyInput): Promise<CreatedApiKey> {
    const random = this.#randomBytes ? { randomBytes: this.#randomBytes } : {};
    const key = generateApiKey(random);
    const record: ApiKeyRecord = {
      id: `key_${randomBase62(16, random)}`,
      hash: key.hash,
      displayPrefix: key.displayPrefix,
      ...input,
      createdAtMs: this.#now(),
      revokedAtMs: null,
    };
    await this.#store.insert(record);
    return { record, plaintext: key.plaintext };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.#store.list();
  }

  /** The key with this id; 404 when there is none. */
  async get(id: string): Promise<ApiKeyRecord> {
    return found(id, await this.#store.get(id));
  }

  /** 409 for a revoked key: its budgets and tiers no longer govern anything. */
  async update(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord> {
    const current = found(id, await this.#store.get(id));
    if (current.revokedAtMs !== null) {
      const at = new Date(current.revokedAtMs).toISOString();
      throw new GatewayError(
        'conflict',
        `id: API key "${id}" was revoked at ${at} and can no longer be changed`,
        { details: { field: 'id', revoked_at: at } },
      );
    }
    return found(id, await this.#store.update(id, patch));
  }

  /** Revokes now; a key already revoked keeps its first revocation time. */
  async revoke(id: string): Promise<ApiKeyRecord> {
    return found(id, await this.#store.revoke(id, this.#now()));
  }
}

function found(id: string, record: ApiKeyRecord | undefined): ApiKeyRecord {
  if (record) return record;
  throw new GatewayError('not_found', `id: no API key "${id}"`, { details: { field: 'id' } });
}
