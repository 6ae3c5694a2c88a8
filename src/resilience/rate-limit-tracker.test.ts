import { describe, expect, it } from 'vitest';
import { RateLimitTracker } from './rate-limit-tracker.js';

const T0 = 1_000_000;
const ID = 'openai-gpt-4o-mini';

describe('RateLimitTracker', () => {
  it('admits a deployment it knows nothing about', () => {
    const tracker = new RateLimitTracker();
    expect(tracker.canAdmit(ID, { estimatedTokens: 1000, nowMs: T0 })).toEqual({ ok: true });
  });

  it('refuses when no requests remain, until the requests reset', () => {
    const tracker = new RateLimitTracker();
    tracker.observe(ID, { remainingRequests: 0, requestsResetAtMs: T0 + 2000 });

    expect(tracker.canAdmit(ID, { estimatedTokens: 10, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'requests_exhausted',
      untilMs: T0 + 2000,
    });
    expect(tracker.canAdmit(ID, { estimatedTokens: 10, nowMs: T0 + 2000 })).toEqual({ ok: true });
  });

  it('refuses a request larger than the tokens remaining, and admits a smaller one', () => {
    const tracker = new RateLimitTracker();
    tracker.observe(ID, { remainingTokens: 800, limitTokens: 100_000, tokensResetAtMs: T0 + 6000 });

    expect(tracker.canAdmit(ID, { estimatedTokens: 801, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'tokens_insufficient',
      untilMs: T0 + 6000,
    });
    expect(tracker.canAdmit(ID, { estimatedTokens: 800, nowMs: T0 })).toEqual({ ok: true });
  });

  it('refuses pre-emptively when remaining tokens fall below the reserve fraction', () => {
    const tracker = new RateLimitTracker({ minRemainingFraction: 0.1 });
    tracker.observe(ID, { remainingTokens: 9999, limitTokens: 100_000, tokensResetAtMs: T0 + 500 });

    expect(tracker.canAdmit(ID, { estimatedTokens: 100, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'tokens_below_reserve',
      untilMs: T0 + 500,
    });
  });

  it('admits at exactly the reserve fraction', () => {
    const tracker = new RateLimitTracker({ minRemainingFraction: 0.1 });
    tracker.observe(ID, {
      remainingTokens: 10_000,
      limitTokens: 100_000,
      tokensResetAtMs: T0 + 500,
    });

    expect(tracker.canAdmit(ID, { estimatedTokens: 100, nowMs: T0 })).toEqual({ ok: true });
  });

  it('admits again once the tokens reset time has passed', () => {
    const tracker = new RateLimitTracker({ minRemainingFraction: 0.1 });
    tracker.observe(ID, { remainingTokens: 50, limitTokens: 100_000, tokensResetAtMs: T0 + 500 });

    expect(tracker.canAdmit(ID, { estimatedTokens: 100, nowMs: T0 + 499 }).ok).toBe(false);
    expect(tracker.canAdmit(ID, { estimatedTokens: 100, nowMs: T0 + 500 })).toEqual({ ok: true });
  });

  it('never refuses a budget whose reset time is unknown', () => {
    const tracker = new RateLimitTracker();
    tracker.observe(ID, { remainingRequests: 0, remainingTokens: 0 });

    expect(tracker.canAdmit(ID, { estimatedTokens: 10, nowMs: T0 })).toEqual({ ok: true });
  });

  it('refuses when no output tokens remain', () => {
    const tracker = new RateLimitTracker();
    tracker.observe(ID, { remainingOutputTokens: 0, outputTokensResetAtMs: T0 + 700 });

    expect(tracker.canAdmit(ID, { estimatedTokens: 10, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'output_tokens_exhausted',
      untilMs: T0 + 700,
    });
  });

  it('reports the refusal that lasts longest when several apply', () => {
    const tracker = new RateLimitTracker();
    tracker.observe(ID, {
      remainingRequests: 0,
      requestsResetAtMs: T0 + 1000,
      remainingTokens: 0,
      tokensResetAtMs: T0 + 9000,
    });

    expect(tracker.canAdmit(ID, { estimatedTokens: 10, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'tokens_insufficient',
      untilMs: T0 + 9000,
    });
  });

  it('keeps earlier fields that a later response lacks', () => {
    const tracker = new RateLimitTracker();
    tracker.observe(ID, { remainingRequests: 0, requestsResetAtMs: T0 + 1000 });
    tracker.observe(ID, { remainingTokens: 5000, tokensResetAtMs: T0 + 1000 });

    expect(tracker.exportState().deployments[ID]?.snapshot).toEqual({
      remainingRequests: 0,
      requestsResetAtMs: T0 + 1000,
      remainingTokens: 5000,
      tokensResetAtMs: T0 + 1000,
    });
  });

  it('refuses everything during a cool-down and admits after it', () => {
    const tracker = new RateLimitTracker();
    tracker.coolDown(ID, T0 + 30_000);

    expect(tracker.canAdmit(ID, { estimatedTokens: 1, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'cool_down',
      untilMs: T0 + 30_000,
    });
    expect(tracker.canAdmit(ID, { estimatedTokens: 1, nowMs: T0 + 30_000 })).toEqual({ ok: true });
  });

  it('extends a cool-down with a longer one and never shortens it', () => {
    const tracker = new RateLimitTracker();
    tracker.coolDown(ID, T0 + 10_000);
    tracker.coolDown(ID, T0 + 20_000);
    tracker.coolDown(ID, T0 + 5_000);

    expect(tracker.canAdmit(ID, { estimatedTokens: 1, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'cool_down',
      untilMs: T0 + 20_000,
    });
  });

  it('keeps deployments apart', () => {
    const tracker = new RateLimitTracker();
    tracker.coolDown('a', T0 + 10_000);

    expect(tracker.canAdmit('b', { estimatedTokens: 1, nowMs: T0 })).toEqual({ ok: true });
  });

  it('round-trips its state through JSON', () => {
    const tracker = new RateLimitTracker();
    tracker.observe(ID, { remainingRequests: 0, requestsResetAtMs: T0 + 1000, limitRequests: 60 });
    tracker.coolDown(ID, T0 + 4000);

    const restored = new RateLimitTracker();
    restored.importState(JSON.parse(JSON.stringify(tracker.exportState())));

    expect(restored.exportState()).toEqual({
      deployments: {
        [ID]: {
          snapshot: { remainingRequests: 0, requestsResetAtMs: T0 + 1000, limitRequests: 60 },
          coolDownUntilMs: T0 + 4000,
        },
      },
    });
    expect(restored.canAdmit(ID, { estimatedTokens: 1, nowMs: T0 })).toEqual({
      ok: false,
      reason: 'cool_down',
      untilMs: T0 + 4000,
    });
  });

  it('does not share state with an exported copy', () => {
    const tracker = new RateLimitTracker();
    tracker.coolDown(ID, T0 + 4000);
    const exported = tracker.exportState();
    exported.deployments[ID]!.coolDownUntilMs = 0;

    expect(tracker.canAdmit(ID, { estimatedTokens: 1, nowMs: T0 }).ok).toBe(false);
  });
});
