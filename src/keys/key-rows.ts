import type { ApiKeyPatch, ApiKeyRecord } from './api-key-record.js';

/** One `api_keys` row as both SQL stores read it back (before type fixes). */
export interface ApiKeyRow {
  id: string;
  key_hash: string;
  display_prefix: string;
  owner: string;
  /** A JSON array of tier names. */
  allowed_tiers: string;
  daily_budget_usd: number | null;
  monthly_budget_usd: number | null;
  /** PostgreSQL hands BIGINT back as a string. */
  created_at_ms: number | string;
  revoked_at_ms: number | string | null;
}

export const KEY_COLUMNS =
  'id, key_hash, display_prefix, owner, allowed_tiers, daily_budget_usd, ' +
  'monthly_budget_usd, created_at_ms, revoked_at_ms';

export function fromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    hash: row.key_hash,
    displayPrefix: row.display_prefix,
    owner: row.owner,
    allowedTiers: parseTiers(row.allowed_tiers),
    dailyBudgetUsd: row.daily_budget_usd === null ? null : Number(row.daily_budget_usd),
    monthlyBudgetUsd: row.monthly_budget_usd === null ? null : Number(row.monthly_budget_usd),
    createdAtMs: Number(row.created_at_ms),
    revokedAtMs: row.revoked_at_ms === null ? null : Number(row.revoked_at_ms),
  };
}

/** The values of a record in `KEY_COLUMNS` order. */
export function rowValues(record: ApiKeyRecord): (string | number | null)[] {
  return [
    record.id,
    record.hash,
    record.displayPrefix,
    record.owner,
    JSON.stringify(record.allowedTiers),
    record.dailyBudgetUsd,
    record.monthlyBudgetUsd,
    record.createdAtMs,
    record.revokedAtMs,
  ];
}

/**
 * The columns an update sets and their values, from the fields present in
 * the patch. Column names come from this fixed list, never from input.
 */
export function patchColumns(
  patch: ApiKeyPatch,
): { column: string; value: string | number | null }[] {
  const columns: { column: string; value: string | number | null }[] = [];
  if (patch.owner !== undefined) columns.push({ column: 'owner', value: patch.owner });
  if (patch.allowedTiers !== undefined) {
    columns.push({ column: 'allowed_tiers', value: JSON.stringify(patch.allowedTiers) });
  }
  if (patch.dailyBudgetUsd !== undefined) {
    columns.push({ column: 'daily_budget_usd', value: patch.dailyBudgetUsd });
  }
  if (patch.monthlyBudgetUsd !== undefined) {
    columns.push({ column: 'monthly_budget_usd', value: patch.monthlyBudgetUsd });
  }
  return columns;
}

function parseTiers(text: string): string[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((tier) => typeof tier === 'string')) {
    throw new Error(`api_keys.allowed_tiers holds ${text}, not a list of tier names`);
  }
  return value;
}
