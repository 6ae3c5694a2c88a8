import { hiddenCharacterProblem } from '../config/task-type-label.js';
import { invalidRequest } from '../errors/gateway-error.js';
import type { ApiKeyPatch } from './api-key-record.js';

/** What creating a key takes; budgets and tiers default to none and all. */
export interface NewApiKeyInput {
  owner: string;
  allowedTiers: string[];
  dailyBudgetUsd: number | null;
  monthlyBudgetUsd: number | null;
}

const FIELDS = new Set(['owner', 'allowed_tiers', 'daily_budget_usd', 'monthly_budget_usd']);
const MAX_OWNER_CHARS = 200;

export interface KeyInputOptions {
  /** The configured tier names; a tier outside them is refused. Absent: any name. */
  knownTiers?: readonly string[] | undefined;
}

/**
 * Reads the body of a key creation (admin API, snake case; the CLI builds the
 * same shape from its flags). Errors are 400s naming the field.
 */
export function parseNewKeyInput(
  body: Record<string, unknown>,
  options: KeyInputOptions = {},
): NewApiKeyInput {
  const patch = parseKeyPatch(body, options);
  if (patch.owner === undefined) throw invalidRequest('owner', 'is required');
  return {
    owner: patch.owner,
    allowedTiers: patch.allowedTiers ?? [],
    dailyBudgetUsd: patch.dailyBudgetUsd ?? null,
    monthlyBudgetUsd: patch.monthlyBudgetUsd ?? null,
  };
}

/** Reads the body of a key update: only the fields present change. */
export function parseKeyPatch(
  body: Record<string, unknown>,
  options: KeyInputOptions = {},
): ApiKeyPatch {
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key)) throw invalidRequest(key, 'is not a field of an API key');
  }
  const patch: ApiKeyPatch = {};
  if (body.owner !== undefined) patch.owner = parseOwner(body.owner);
  if (body.allowed_tiers !== undefined) {
    patch.allowedTiers = parseTiers(body.allowed_tiers, options.knownTiers);
  }
  if (body.daily_budget_usd !== undefined) {
    patch.dailyBudgetUsd = parseBudget(body.daily_budget_usd, 'daily_budget_usd');
  }
  if (body.monthly_budget_usd !== undefined) {
    patch.monthlyBudgetUsd = parseBudget(body.monthly_budget_usd, 'monthly_budget_usd');
  }
  return patch;
}

function parseOwner(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidRequest('owner', 'must be a non-empty string');
  }
  if (value.length > MAX_OWNER_CHARS) {
    throw invalidRequest('owner', `must be at most ${MAX_OWNER_CHARS} characters`);
  }
  const hidden = hiddenCharacterProblem(value);
  if (hidden) throw invalidRequest('owner', hidden);
  return value.trim();
}

function parseTiers(value: unknown, knownTiers: readonly string[] | undefined): string[] {
  if (!Array.isArray(value)) {
    throw invalidRequest('allowed_tiers', 'must be a list of tier names (empty allows all)');
  }
  const tiers: string[] = [];
  for (const [index, tier] of value.entries()) {
    const field = `allowed_tiers[${index}]`;
    if (typeof tier !== 'string' || tier === '') throw invalidRequest(field, 'must be a tier name');
    if (knownTiers && !knownTiers.includes(tier)) {
      throw invalidRequest(field, `unknown tier "${tier}" (known: ${knownTiers.join(', ')})`);
    }
    if (!tiers.includes(tier)) tiers.push(tier);
  }
  return tiers;
}

function parseBudget(value: unknown, field: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidRequest(field, 'must be a number of USD, 0 or more, or null for no limit');
  }
  return value;
}
