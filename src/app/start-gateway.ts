import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from '../config/config-types.js';
import { ContractRegistry } from '../contracts/contract-registry.js';
import { createLogger, type Logger } from '../logging/logger.js';
import type { BreakerStateChange } from '../resilience/circuit-breaker.js';
import { HttpPools } from '../providers/http-pool.js';
import { RouteEngine } from '../routing/route-engine.js';
import { createGatewayServer } from '../server/gateway-server.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { buildGate, type BuiltGate } from './build-gate.js';
import { buildProviders } from './build-providers.js';
import { toDemoConfig } from './demo-mode.js';

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
    simulator = await startSimulator({ host: '127.0.0.1', port: 0, logger });
    config = toDemoConfig(config, simulator.url);
    logger.warn(
      { simulator: simulator.url },
      'demo mode: no provider API key is set, so the built-in simulator serves every tier',
    );
  }

  const contracts = ContractRegistry.fromDirectory(config.contractsDir);
  const pools = new HttpPools();
  const providers = buildProviders({ config, pools, now: clock.now });
  const resilience = buildGate({
    config,
    clock,
    logger,
    ...(options.onBreakerChange ? { onBreakerChange: options.onBreakerChange } : {}),
  });
  const engine = new RouteEngine({ config, providers, clock, gate: resilience.gate });
  let accepting = true;
  const server = createGatewayServer({
    config,
    engine,
    contracts,
    logger,
    clock,
    ready: () => accepting,
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
    simulator,
    async close() {
      accepting = false;
      // In-flight requests finish; idle keep-alive sockets are closed now.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await pools.close();
      await simulator?.close();
    },
  };
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
