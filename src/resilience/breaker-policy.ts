import type { BreakerSnapshot, BreakerState } from './breaker-snapshot.js';
import {
  recordOutcome,
  windowTotals,
  type WindowBucket,
  type WindowShape,
} from './failure-window.js';

/** How a circuit breaker decides; every field has a default. */
export interface BreakerOptions {
  /** Opens after this many failures in a row. Default 3. */
  consecutiveFailures?: number;
  /**
   * Also opens when more than this share (0–1) of the requests in the window
   * failed, e.g. 0.5. Default: not watched.
   */
  failureRateThreshold?: number;
  /** The failure rate counts only once the window holds this many. Default 10. */
  minimumRequests?: number;
  /** How far back the failure rate looks, in ms. Default 60 000. */
  windowMs?: number;
  /** How many time buckets the window is kept in. Default 10. */
  windowBuckets?: number;
  /** How long the breaker stays open before a probe, in ms. Default 300 000. */
  coolDownMs?: number;
  /**
   * How long a probe may go unreported before another is admitted, in ms: its
   * caller may have crashed, or a replica died holding it. Keep it above the
   * longest attempt timeout, or a slow probe gets company. Default 60 000.
   */
  probeTimeoutMs?: number;
}

/** `BreakerOptions` with every default filled in. */
export type ResolvedBreakerOptions = Required<Omit<BreakerOptions, 'failureRateThreshold'>> &
  Pick<BreakerOptions, 'failureRateThreshold'>;

export type BreakerOutcome = 'success' | 'failure';

/**
 * Whether a request may go. `probe` marks the one request whose outcome
 * decides whether a half-open breaker closes; `untilMs` (epoch ms) is the
 * earliest a refused caller should ask again.
 */
export type BreakerAdmission =
  { ok: true; probe: boolean } | { ok: false; reason: 'open' | 'probe_in_flight'; untilMs: number };

export type BreakerTransitionReason =
  | 'consecutive_failures'
  | 'failure_rate'
  | 'cool_down_elapsed'
  | 'probe_succeeded'
  | 'probe_failed'
  | 'forced';

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  reason: BreakerTransitionReason;
}

/** A breaker's next snapshot, and the change of state when there was one. */
export interface BreakerStep {
  snapshot: BreakerSnapshot;
  transition?: BreakerTransition;
}

export interface AcquireStep extends BreakerStep {
  admission: BreakerAdmission;
}

/** The options with their defaults filled in. */
export function resolveBreakerOptions(options: BreakerOptions = {}): ResolvedBreakerOptions {
  return {
    consecutiveFailures: options.consecutiveFailures ?? 3,
    failureRateThreshold: options.failureRateThreshold,
    minimumRequests: options.minimumRequests ?? 10,
    windowMs: options.windowMs ?? 60_000,
    windowBuckets: options.windowBuckets ?? 10,
    coolDownMs: options.coolDownMs ?? 300_000,
    probeTimeoutMs: options.probeTimeoutMs ?? 60_000,
  };
}

/**
 * Asks to send one request. Closed admits; open refuses until its cool-down
 * ends, then admits exactly one request as the probe and turns half-open;
 * half-open refuses everyone else while the probe is out.
 */
export function acquireBreaker(
  snapshot: BreakerSnapshot,
  input: { nowMs: number; options?: BreakerOptions },
): AcquireStep {
  const { nowMs } = input;
  switch (snapshot.state) {
    case 'closed':
      return { snapshot, admission: { ok: true, probe: false } };

    case 'open':
      if (nowMs < snapshot.openUntilMs) {
        return {
          snapshot,
          admission: { ok: false, reason: 'open', untilMs: snapshot.openUntilMs },
        };
      }
      return {
        snapshot: { state: 'half_open', probeStartedAtMs: nowMs },
        admission: { ok: true, probe: true },
        transition: { from: 'open', to: 'half_open', reason: 'cool_down_elapsed' },
      };

    case 'half_open': {
      const { probeTimeoutMs } = resolveBreakerOptions(input.options);
      const untilMs = snapshot.probeStartedAtMs + probeTimeoutMs;
      if (nowMs < untilMs) {
        return { snapshot, admission: { ok: false, reason: 'probe_in_flight', untilMs } };
      }
      // The probe never came back; send another rather than wait for ever.
      return {
        snapshot: { state: 'half_open', probeStartedAtMs: nowMs },
        admission: { ok: true, probe: true },
      };
    }
  }
}

/**
 * Records how an admitted request ended. While half-open, any outcome is taken
 * as the probe's: success closes, failure opens for another cool-down. While
 * open, outcomes are ignored: they belong to requests sent before it opened.
 */
export function recordBreakerOutcome(
  snapshot: BreakerSnapshot,
  input: { outcome: BreakerOutcome; nowMs: number; options?: BreakerOptions },
): BreakerStep {
  const options = resolveBreakerOptions(input.options);
  const { outcome, nowMs } = input;

  switch (snapshot.state) {
    case 'open':
      return { snapshot };

    case 'half_open':
      if (outcome === 'success') {
        return {
          snapshot: { state: 'closed', consecutiveFailures: 0, window: [] },
          transition: { from: 'half_open', to: 'closed', reason: 'probe_succeeded' },
        };
      }
      return {
        snapshot: { state: 'open', openUntilMs: nowMs + options.coolDownMs },
        transition: { from: 'half_open', to: 'open', reason: 'probe_failed' },
      };

    case 'closed':
      return recordWhileClosed(snapshot, { outcome, nowMs, options });
  }
}

/**
 * Opens the breaker until `untilMs` on another policy's word (a 429's
 * cool-down, a cost-cap breach). It extends an open deadline, never shortens
 * one, and a deadline already past changes nothing.
 */
export function forceBreakerOpen(
  snapshot: BreakerSnapshot,
  input: { untilMs: number; nowMs: number },
): BreakerStep {
  const { untilMs, nowMs } = input;
  if (untilMs <= nowMs) return { snapshot };

  if (snapshot.state === 'open') {
    return { snapshot: { state: 'open', openUntilMs: Math.max(snapshot.openUntilMs, untilMs) } };
  }
  return {
    snapshot: { state: 'open', openUntilMs: untilMs },
    transition: { from: snapshot.state, to: 'open', reason: 'forced' },
  };
}

function recordWhileClosed(
  snapshot: Extract<BreakerSnapshot, { state: 'closed' }>,
  input: { outcome: BreakerOutcome; nowMs: number; options: ResolvedBreakerOptions },
): BreakerStep {
  const { outcome, nowMs, options } = input;
  const shape: WindowShape = { windowMs: options.windowMs, buckets: options.windowBuckets };
  // The window is kept only when a rate is watched, to keep snapshots small.
  const window =
    options.failureRateThreshold === undefined
      ? []
      : recordOutcome(snapshot.window, Object.assign({}, shape, { outcome, nowMs }));

  if (outcome === 'success')
    return { snapshot: { state: 'closed', consecutiveFailures: 0, window } };

  const consecutiveFailures = snapshot.consecutiveFailures + 1;
  const reason = openingReason({ consecutiveFailures, window, nowMs, options });
  if (reason === undefined) return { snapshot: { state: 'closed', consecutiveFailures, window } };

  return {
    snapshot: { state: 'open', openUntilMs: nowMs + options.coolDownMs },
    transition: { from: 'closed', to: 'open', reason },
  };
}

function openingReason(input: {
  consecutiveFailures: number;
  window: WindowBucket[];
  nowMs: number;
  options: ResolvedBreakerOptions;
}): BreakerTransitionReason | undefined {
  const { consecutiveFailures, window, nowMs, options } = input;
  if (consecutiveFailures >= options.consecutiveFailures) return 'consecutive_failures';
  if (options.failureRateThreshold === undefined) return undefined;

  const shape = { windowMs: options.windowMs, buckets: options.windowBuckets, nowMs };
  const { requests, failures } = windowTotals(window, shape);
  if (requests < options.minimumRequests) return undefined;

  return failures / requests > options.failureRateThreshold ? 'failure_rate' : undefined;
}
