import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminKeyRoutes } from '../keys/admin-handlers.js';
import { hasAdminToken } from '../keys/admin-token.js';
import type { GatewayConfig } from '../config/config-types.js';
import { ContractRegistry } from '../contracts/contract-registry.js';
import { createLogger, type Logger } from '../logging/logger.js';
import type { BreakerStateChange } from '../resilience/circuit-breaker.js';
import { HttpPools } from '../providers/http-pool.js';
import { RouteEngine } from '../routing/route-engine.js';
import { createGatewayServer, type ExtraRoute } from '../server/gateway-server.js';
import type { RunningSimulator } from '../sim/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { buildGate, type BuiltGate } from './build-gate.js';
import { loadProviders } from './build-providers.js';
import {
  closeGatewayServices,
  openGatewayServices,
  type GatewayServices,
} from './gateway-services.js';
import { policiesHandler, resumePoliciesHandler } from '../policies/policy-handlers.js';
import { RequestPipeline } from '../server/request-pipeline.js';
import { dashboardDataHandler } from '../dashboard/dashboard-data.js';
import { dashboardPageHandler } from '../dashboard/dashboard-page.js';
import { DashboardStats } from '../dashboard/dashboard-stats.js';
import { toDemoConfig } from './demo-mode.js';
import { drainServer } from './drain-server.js';

export interface StartGatewayOptions {
  config: GatewayConfig;
  logger?: Logger;
  clock?: Clock;
  /** Overrides `config.server.port` (0 picks a free port; tests use it). */
  port?: number;
  /** Told of every breaker state change this process makes. */
  onBreakerChange?: (change: BreakerStateChange) => void;
}

export interface RunningGateway {
  url: string;
  config: GatewayConfig;
  pools: HttpPools;
  resilience: BuiltGate;
  /** Telemetry, policies, cache, audit log and the Redis client. */
  services: GatewayServices;
  /** The in-process simulator, in demo mode. */
  simulator: RunningSimulator | undefined;
  close(): Promise<void>;
}

/** Wires configuration, contracts, providers, engine and server, and listens. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ level: options.config.logging.level });
  const clock = options.clock ?? systemClock;
  let config = options.config;
  let simulator: RunningSimulator | undefined;
  if (config.demo) {
    // The simulator (and its tokenizer tables) loads only in demo mode.
    const { startSimulator } = await import('../sim/index.js');
    simulator = await startSimulator({ host: '127.0.0.1', port: 0, logger });
    config = toDemoConfig(config, simulator.url);
    logger.warn(
      { simulator: simulator.url },
      'demo mode: no provider API key is set, so the built-in simulator serves every tier',
    );
  }

  const contracts = ContractRegistry.fromDirectory(config.contractsDir);
  if (contracts.names().length === 0) {
    logger.warn(
      { contracts_dir: config.contractsDir },
      'no contracts loaded: /v1/route accepts inline schemas only until contracts_dir holds some',
    );
  }
  const pools = new HttpPools();
  const { clients: providers, close: closeProviders } = await loadProviders({
    config,
    pools,
    now: clock.now,
    logger,
  });
  const services = await openGatewayServices({ config, logger, clock });
  const { telemetry, policies } = services;
  const breakerCounter = telemetry.breakerListener();
  const resilience = buildGate({
    config,
    clock,
    logger,
    ...(services.redis ? { redis: services.redis } : {}),
    isPaused: (deployment) => policies.isPaused(deployment.model),
    onEvent: (event) => telemetry.recordGateEvent(event),
    onBreakerChange: (change) => {
      breakerCounter.onStateChange(change);
      options.onBreakerChange?.(change);
    },
  });
  // The cost-cap policy opens a breaker through the registry, like failures do.
  policies.setBreakerOpener((input) => resilience.breakers.forceOpen(input.deploymentId, input));
  telemetry.metrics.watchBreakers(() => resilience.breakers.list(clock.now()));
  const engine = new RouteEngine({
    config,
    providers,
    clock,
    gate: resilience.gate,
  });
  const pipeline = new RequestPipeline({
    config,
    engine,
    logger,
    clock,
    services,
    access: services.access,
  });
  const adminToken = config.admin.token;
  // Without an admin token, the policies are readable (and resumable) by anyone
  // who reaches the gateway, as everything is in open mode.
  const authorize = (request: IncomingMessage) =>
    adminToken === undefined || hasAdminToken(request, adminToken);
  // Endpoints beside the gateway's own: metrics, dashboard, admin API.
  const extraRoutes: Record<string, ExtraRoute> = {
    'GET /metrics': telemetry.metricsHandler,
    'GET /admin/policies': policiesHandler(policies, { authorize }),
    'POST /admin/policies/resume': resumePoliciesHandler(policies, { authorize }),
    ...adminKeyRoutes({
      access: services.access,
      token: adminToken,
      knownTiers: Object.keys(config.tiers),
      logger,
    }),
  };
  // The live dashboard: its stats observe every request, as the policies do.
  const dashboardStats = new DashboardStats({ now: () => clock.now() });
  telemetry.addObserver(dashboardStats);
  extraRoutes['GET /dashboard'] = dashboardPageHandler();
  extraRoutes['GET /dashboard/data'] = dashboardDataHandler({
    stats: dashboardStats,
    breakers: () => resilience.breakers.list(clock.now()),
    deploymentIds: Object.values(config.tiers).flatMap((tier) => tier.map((d) => d.id)),
    policies: () => policies.list(),
    logger,
  });
  let accepting = true;
  const server = createGatewayServer({
    extraRoutes,
    pipeline,
    config,
    engine,
    contracts,
    logger,
    clock,
    // Not ready while draining. A Redis outage does not make a replica
    // unready: it serves on state of its own, and every replica shares that
    // Redis, so a load balancer would drop them all at once.
    ready: () => accepting,
    readiness: (): Record<string, string> =>
      services.redis ? { redis: services.redis.status === 'ready' ? 'up' : 'unreachable' } : {},
  });
  const port = options.port ?? config.server.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.server.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${formatHost(address.address)}:${address.port}`;
  logger.info(
    { url, contracts: contracts.names(), tiers: config.tierOrder, demo: config.demo },
    'switchyard listening',
  );

  return {
    url,
    config,
    pools,
    resilience,
    services,
    simulator,
    async close() {
      accepting = false;
      await drainServer(server, { graceMs: config.deadlineMs + SHUTDOWN_EXTRA_MS, logger });
      await resilience.close();
      // The audit log flushes what the last requests wrote before Redis goes.
      await closeGatewayServices(services);
      await closeProviders();
      await pools.close();
      await simulator?.close();
    },
  };
}

/** How long past `deadline_ms` a drain waits for open connections before cutting them. */
const SHUTDOWN_EXTRA_MS = 5_000;

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
