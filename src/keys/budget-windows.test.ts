import { describe, expect, it } from 'vitest';
import { budgetWindowsAt } from './budget-windows.js';

describe('budgetWindowsAt', () => {
  it('names the UTC day and month and when each ends', () => {
    expect(budgetWindowsAt(Date.UTC(2025, 0, 31, 23, 59, 59, 999))).toEqual({
      day: { kind: 'day', id: 'day:2025-01-31', endsAtMs: Date.UTC(2025, 1, 1) },
      month: { kind: 'month', id: 'month:2025-01', endsAtMs: Date.UTC(2025, 1, 1) },
    });
  });

  it('starts new windows at exactly midnight UTC', () => {
    const windows = budgetWindowsAt(Date.UTC(2025, 1, 1));
    expect([windows.day.id, windows.month.id]).toEqual(['day:2025-02-01', 'month:2025-02']);
  });

  it('ends December at the start of the next year, and counts 29 February in a leap year', () => {
    expect(budgetWindowsAt(Date.UTC(2024, 11, 15)).month.endsAtMs).toBe(Date.UTC(2025, 0, 1));
    expect(budgetWindowsAt(Date.UTC(2024, 1, 29, 12)).day).toEqual({
      kind: 'day',
      id: 'day:2024-02-29',
      endsAtMs: Date.UTC(2024, 2, 1),
    });
  });
});
