// Resilience policies the routing engine composes. Each is pure or holds only
// in-memory state that can be saved as plain JSON; none does I/O.
export { fullJitterDelayMs, type FullJitterOptions } from './backoff.js';
export { parseRetryHintMs } from './retry-hint.js';
export { parseHttpDateMs } from './http-date.js';
export { parseRfc3339Ms } from './rfc3339.js';
export {
  parseDurationMs,
  parseRateLimitHeaders,
  type RateLimitSnapshot,
} from './rate-limit-headers.js';
export {
  RateLimitTracker,
  type AdmitQuery,
  type DeploymentRateLimit,
  type RateLimitAdmission,
  type RateLimitRefusalReason,
  type RateLimitTrackerOptions,
  type RateLimitTrackerState,
} from './rate-limit-tracker.js';
export {
  breakerStateAt,
  closedSnapshot,
  isBreakerSnapshot,
  type BreakerSnapshot,
  type BreakerState,
} from './breaker-snapshot.js';
export {
  acquireBreaker,
  forceBreakerOpen,
  recordBreakerOutcome,
  resolveBreakerOptions,
  type AcquireStep,
  type BreakerAdmission,
  type BreakerOptions,
  type BreakerOutcome,
  type BreakerStep,
  type BreakerTransition,
  type BreakerTransitionReason,
  type ResolvedBreakerOptions,
} from './breaker-policy.js';
export {
  CircuitBreaker,
  notifyStateChange,
  type BreakerListener,
  type BreakerStateChange,
  type CircuitBreakerOptions,
} from './circuit-breaker.js';
export {
  MemoryBreakerStore,
  type BreakerChange,
  type BreakerStore,
  type StoredBreaker,
} from './breaker-store.js';
export {
  BreakerRegistry,
  type BreakerRegistryOptions,
  type BreakerStatus,
} from './breaker-registry.js';
export {
  Bulkhead,
  type BulkheadAcquireOptions,
  type BulkheadOptions,
  type Release,
} from './bulkhead.js';
export { Deadline, type DeadlineOptions } from './deadline.js';
