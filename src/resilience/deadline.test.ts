import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadline } from './deadline.js';

const T0 = 1_755_780_060_000;

describe('Deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts the remaining budget down, never below 0', () => {
    const deadline = new Deadline({ budgetMs: 1000 });

    expect(deadline.expiresAtMs).toBe(T0 + 1000);
    expect(deadline.remainingMs(T0 + 400)).toBe(600);
    expect(deadline.remainingMs(T0 + 1500)).toBe(0);
    deadline.dispose();
  });

  it('reads the clock when no time is given', () => {
    const deadline = new Deadline({ budgetMs: 1000 });
    vi.setSystemTime(T0 + 250);

    expect(deadline.remainingMs()).toBe(750);
    deadline.dispose();
  });

  it('expires and aborts its signal with a TimeoutError when the budget runs out', async () => {
    const deadline = new Deadline({ budgetMs: 1000 });

    await vi.advanceTimersByTimeAsync(999);
    expect([deadline.expired, deadline.signal.aborted]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(1);

    expect([deadline.expired, deadline.signal.aborted]).toEqual([true, true]);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it("aborts with the parent's reason when the parent aborts first", () => {
    const parent = new AbortController();
    const deadline = new Deadline({ budgetMs: 1000, parentSignal: parent.signal });

    parent.abort(new Error('client disconnected'));

    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('client disconnected');
    expect(deadline.expired).toBe(false);
    deadline.dispose();
  });

  it('is aborted from the start when the parent already is', () => {
    const deadline = new Deadline({ budgetMs: 1000, parentSignal: AbortSignal.abort('gone') });

    expect([deadline.signal.aborted, deadline.signal.reason]).toEqual([true, 'gone']);
    deadline.dispose();
  });

  it('is expired from the start for a budget of 0', () => {
    const deadline = new Deadline({ budgetMs: 0 });

    expect([deadline.expired, deadline.signal.aborted, vi.getTimerCount()]).toEqual([
      true,
      true,
      0,
    ]);
  });

  it('clears its timer on dispose and then never aborts', async () => {
    const deadline = new Deadline({ budgetMs: 1000 });
    expect(vi.getTimerCount()).toBe(1);

    deadline.dispose();
    await vi.advanceTimersByTimeAsync(5000);

    expect([vi.getTimerCount(), deadline.signal.aborted]).toEqual([0, false]);
  });
});
