import type { IncomingMessage, ServerResponse } from 'node:http';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { PolicyListing } from '../policies/policy-engine.js';
import type { BreakerState } from '../resilience/breaker-snapshot.js';
import { sendJson } from '../server/error-response.js';
import type { DashboardStats, StatsSnapshot } from './dashboard-stats.js';

/** One deployment's breaker as the dashboard shows it. */
export interface BreakerView {
  deploymentId: string;
  state: BreakerState;
  /** While open: epoch ms at which its cool-down ends. */
  openUntilMs?: number;
  consecutiveFailures: number;
}

/** The body of `GET /dashboard/data`. */
export interface DashboardData extends StatsSnapshot {
  /** Every configured deployment; null when the breaker store could not be read. */
  breakers: BreakerView[] | null;
  /** The self-steering policies, with the latest changes only; null without a policy engine. */
  policies: PolicyListing | null;
}

export interface DashboardDataOptions {
  stats: DashboardStats;
  /** Breakers the store holds, e.g. `() => resilience.breakers.list(clock.now())`. */
  breakers: () => Promise<readonly BreakerView[]> | readonly BreakerView[];
  /** Deployment ids shown as closed until their breaker has seen a request. */
  deploymentIds?: readonly string[];
  /** What `GET /admin/policies` shows, e.g. `() => policies.list()`. */
  policies?: () => PolicyListing;
  logger?: Logger;
}

/** How many of the policies' latest changes the dashboard lists. */
const RECENT_CHANGES = 10;

/**
 * `GET /dashboard/data`: the dashboard's stats with the breaker states and
 * the policies, as JSON, never cached. A breaker store that cannot be read
 * (Redis down) leaves `breakers` null rather than failing the whole answer.
 */
export function dashboardDataHandler(options: DashboardDataOptions) {
  const logger = options.logger ?? silentLogger();
  return async function dashboardData(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body: DashboardData = Object.assign({}, options.stats.snapshot(), {
      breakers: await readBreakers(options, logger),
      policies: readPolicies(options),
    });
    sendJson(res, { status: 200, body, headers: { 'cache-control': 'no-store' } });
  };
}

async function readBreakers(
  options: DashboardDataOptions,
  logger: Logger,
): Promise<BreakerView[] | null> {
  let stored: readonly BreakerView[];
  try {
    stored = await options.breakers();
  } catch (error) {
    logger.warn({ err: error }, 'dashboard could not read the breakers');
    return null;
  }

  const byId = new Map<string, BreakerView>();
  for (const id of options.deploymentIds ?? []) {
    byId.set(id, { deploymentId: id, state: 'closed', consecutiveFailures: 0 });
  }
  for (const breaker of stored) {
    const { deploymentId, state, openUntilMs, consecutiveFailures } = breaker;
    byId.set(deploymentId, {
      deploymentId,
      state,
      consecutiveFailures,
      ...(state === 'open' && openUntilMs !== undefined ? { openUntilMs } : {}),
    });
  }
  return [...byId.values()];
}

function readPolicies(options: DashboardDataOptions): PolicyListing | null {
  const listing = options.policies?.();
  if (!listing) return null;

  return Object.assign({}, listing, {
    recentChanges: listing.recentChanges.slice(0, RECENT_CHANGES),
  });
}
