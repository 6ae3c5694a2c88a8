import { describe, expect, it, vi } from 'vitest';
import { linkedTimeout } from './linked-timeout.js';

describe('linkedTimeout', () => {
  it('aborts with a TimeoutError once the time has passed', () => {
    vi.useFakeTimers();
    try {
      const link = linkedTimeout(new AbortController().signal, 1000, 'too slow');
      vi.advanceTimersByTime(999);
      expect(link.signal.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(link.signal.aborted).toBe(true);
      expect(link.timedOut).toBe(true);
      expect((link.signal.reason as DOMException).name).toBe('TimeoutError');
      expect((link.signal.reason as DOMException).message).toBe('too slow');
    } finally {
      vi.useRealTimers();
    }
  });

  it("aborts with the parent's reason, and is not a timeout then", () => {
    const parent = new AbortController();
    const link = linkedTimeout(parent.signal, 60_000, 'too slow');
    parent.abort(new Error('client disconnected'));
    expect(link.signal.reason).toEqual(new Error('client disconnected'));
    expect(link.timedOut).toBe(false);
    link.dispose();
  });

  it('starts aborted when the parent already is', () => {
    const link = linkedTimeout(AbortSignal.abort('gone'), 60_000, 'too slow');
    expect(link.signal.aborted).toBe(true);
    expect(link.signal.reason).toBe('gone');
    link.dispose();
  });

  it('once disposed, neither the timer nor the parent aborts it', () => {
    vi.useFakeTimers();
    try {
      const parent = new AbortController();
      const link = linkedTimeout(parent.signal, 1000, 'too slow');
      link.dispose();
      vi.advanceTimersByTime(5000);
      parent.abort('late');
      expect(link.signal.aborted).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
