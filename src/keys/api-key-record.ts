/**
 * A virtual API key as the gateway keeps it. The plaintext key is never
 * stored: only its hash, for lookup, and a display prefix, for people.
 */
export interface ApiKeyRecord {
  /** `key_` and 16 base62 characters; what logs, audit rows and budgets name. */
  id: string;
  /** SHA-256 of the plaintext key, hex. Never leaves the store and the server. */
  hash: string;
  /** First 8 and last 4 characters of the key, e.g. `sk-sy-Ab…wxyz`. */
  displayPrefix: string;
  /** Who the key is for: a team, a service, a person. */
  owner: string;
  /** Tiers the key may use; empty allows every tier. */
  allowedTiers: string[];
  /** Spend allowed per UTC day; null for no daily limit. */
  dailyBudgetUsd: number | null;
  /** Spend allowed per UTC calendar month; null for no monthly limit. */
  monthlyBudgetUsd: number | null;
  createdAtMs: number;
  /** Set once, when revoked; a revoked key is refused from then on. */
  revokedAtMs: number | null;
}

/** The fields an update may change; absent fields stay as they are. */
export interface ApiKeyPatch {
  owner?: string;
  allowedTiers?: string[];
  dailyBudgetUsd?: number | null;
  monthlyBudgetUsd?: number | null;
}

/**
 * A key as the admin API and the CLI show it: everything but the hash (and
 * so, never anything that could be used as the key), in the API's snake case.
 */
export interface ApiKeyView {
  id: string;
  display_prefix: string;
  owner: string;
  allowed_tiers: string[];
  daily_budget_usd: number | null;
  monthly_budget_usd: number | null;
  /** RFC 3339, UTC. */
  created_at: string;
  revoked_at: string | null;
  status: 'active' | 'revoked';
}

export function toApiKeyView(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    display_prefix: record.displayPrefix,
    owner: record.owner,
    allowed_tiers: [...record.allowedTiers],
    daily_budget_usd: record.dailyBudgetUsd,
    monthly_budget_usd: record.monthlyBudgetUsd,
    created_at: new Date(record.createdAtMs).toISOString(),
    revoked_at: record.revokedAtMs === null ? null : new Date(record.revokedAtMs).toISOString(),
    status: record.revokedAtMs === null ? 'active' : 'revoked',
  };
}
