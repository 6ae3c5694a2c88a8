import type { WindowBucket } from './failure-window.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Everything a circuit breaker knows, as plain JSON, so that a shared store
 * can hold it and every replica can act on it. Counters exist only while
 * closed: each change of state starts them afresh.
 */
export type BreakerSnapshot =
  | {
      state: 'closed';
      consecutiveFailures: number;
      /** Outcomes by time bucket; empty unless a failure rate is watched. */
      window: WindowBucket[];
    }
  | {
      state: 'open';
      /** Epoch ms at which the next request may go through as a probe. */
      openUntilMs: number;
    }
  | {
      state: 'half_open';
      /** Epoch ms at which the one probe now in flight was admitted. */
      probeStartedAtMs: number;
    };

/**
 * A deep copy. The snapshot is small and of known shape; this is what
 * `structuredClone` gave, at a fraction of its cost on the request path.
 */
export function copySnapshot(snapshot: BreakerSnapshot): BreakerSnapshot {
  if (snapshot.state !== 'closed') return { ...snapshot };
  return Object.assign({}, snapshot, { window: snapshot.window.map((bucket) => ({ ...bucket })) });
}

/** A breaker that has seen nothing. */
export function closedSnapshot(): BreakerSnapshot {
  return { state: 'closed', consecutiveFailures: 0, window: [] };
}

/**
 * The state a caller sees at `nowMs`: an open breaker whose cool-down has
 * passed reads as half-open, although it only becomes so, and says so to
 * listeners, when the next request is admitted as its probe.
 */
export function breakerStateAt(snapshot: BreakerSnapshot, nowMs: number): BreakerState {
  if (snapshot.state === 'open' && nowMs >= snapshot.openUntilMs) return 'half_open';
  return snapshot.state;
}

/**
 * Whether a value read back from a store (for instance parsed JSON) is a
 * breaker snapshot, so that a corrupt or foreign entry can be discarded.
 */
export function isBreakerSnapshot(value: unknown): value is BreakerSnapshot {
  if (typeof value !== 'object' || value === null) return false;

  const record = value as Record<string, unknown>;
  switch (record['state']) {
    case 'closed':
      return isCount(record['consecutiveFailures']) && isWindow(record['window']);
    case 'open':
      return Number.isFinite(record['openUntilMs']);
    case 'half_open':
      return Number.isFinite(record['probeStartedAtMs']);
    default:
      return false;
  }
}

function isWindow(value: unknown): boolean {
  if (!Array.isArray(value)) return false;

  return value.every((bucket: unknown) => {
    if (typeof bucket !== 'object' || bucket === null) return false;
    const record = bucket as Record<string, unknown>;
    return (
      Number.isFinite(record['startMs']) &&
      isCount(record['successes']) &&
      isCount(record['failures'])
    );
  });
}

function isCount(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}
