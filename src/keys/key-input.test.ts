import { describe, expect, it } from 'vitest';
import { parseKeyPatch, parseNewKeyInput } from './key-input.js';

describe('parseNewKeyInput', () => {
  it('defaults to every tier and no budgets', () => {
    expect(parseNewKeyInput({ owner: ' search ' })).toEqual({
      owner: 'search',
      allowedTiers: [],
      dailyBudgetUsd: null,
      monthlyBudgetUsd: null,
    });
  });

  it('reads tiers (once each) and budgets', () => {
    const input = parseNewKeyInput(
      {
        owner: 'o',
        allowed_tiers: ['cheap', 'mid', 'cheap'],
        daily_budget_usd: 1.5,
        monthly_budget_usd: 0,
      },
      { knownTiers: ['cheap', 'mid', 'heavy'] },
    );
    expect(input).toEqual({
      owner: 'o',
      allowedTiers: ['cheap', 'mid'],
      dailyBudgetUsd: 1.5,
      monthlyBudgetUsd: 0,
    });
  });

  it('requires an owner', () => {
    expect(() => parseNewKeyInput({})).toThrow('owner: is required');
  });

  it('refuses a tier the configuration does not have', () => {
    expect(() =>
      parseNewKeyInput({ owner: 'o', allowed_tiers: ['cheep'] }, { knownTiers: ['cheap'] }),
    ).toThrow('allowed_tiers[0]: unknown tier "cheep" (known: cheap)');
  });

  it('refuses a negative or non-numeric budget', () => {
    expect(() => parseNewKeyInput({ owner: 'o', daily_budget_usd: -1 })).toThrow(
      'daily_budget_usd: must be a number of USD, 0 or more, or null for no limit',
    );
    expect(() => parseNewKeyInput({ owner: 'o', monthly_budget_usd: '5' })).toThrow(
      'monthly_budget_usd: must be',
    );
  });

  it('refuses an unknown field, which could be a typo of a budget', () => {
    expect(() => parseNewKeyInput({ owner: 'o', daily_budget: 5 })).toThrow(
      'daily_budget: is not a field of an API key',
    );
  });
});

describe('parseKeyPatch', () => {
  it('keeps only the fields present, null clearing a budget', () => {
    expect(parseKeyPatch({ daily_budget_usd: null })).toEqual({ dailyBudgetUsd: null });
    expect(parseKeyPatch({})).toEqual({});
  });

  it('refuses an owner with terminal escapes, line breaks or bidirectional overrides', () => {
    for (const owner of ['evil\u001b[31mred', 'two\nlines', 'abc\u202edcba']) {
      expect(() => parseKeyPatch({ owner }), JSON.stringify(owner)).toThrow(
        'owner: must not contain control or invisible formatting characters',
      );
    }
    expect(parseKeyPatch({ owner: 'équipe recherche' }).owner).toBe('équipe recherche');
  });

  it('refuses an empty owner', () => {
    expect(() => parseKeyPatch({ owner: '  ' })).toThrow('owner: must be a non-empty string');
  });
});
