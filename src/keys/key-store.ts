import type { ApiKeyPatch, ApiKeyRecord } from './api-key-record.js';

/**
 * Where virtual API keys live. Every replica reads the same store, so a key
 * created or revoked through one is seen by all on their next request (the
 * gateway does not cache key lookups).
 */
export interface KeyStore {
  /** Adds a key; rejects when its id or hash is already stored. */
  insert(record: ApiKeyRecord): Promise<void>;
  /** The key whose plaintext hashes to `hash`, revoked or not. */
  findByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
  /** Applies the fields present in `patch`; undefined when there is no such key. */
  update(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | undefined>;
  /**
   * Marks the key revoked at `atMs`; revoking it again keeps the first time.
   * Undefined when there is no such key. Keys are never deleted, so audit
   * rows and budgets keep naming a key that exists.
   */
  revoke(id: string, atMs: number): Promise<ApiKeyRecord | undefined>;
  close(): Promise<void>;
}
