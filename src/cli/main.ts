#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startGateway } from '../app/start-gateway.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { createLogger } from '../logging/logger.js';
import { applyServeV8Flags } from '../util/serve-v8-flags.js';

// The other commands are imported when run, so `serve` does not hold the
// simulator's tokenizer tables, the evaluator or the report readers in memory.

const USAGE = `Usage: switchyard <command> [options]

Commands:
  serve [--config FILE] [--port N] [--host H]   run the gateway (default command)
  sim [--port N] [--host H]                     run the provider simulator
  report --from DATE --to DATE [--format table|json|csv] [--config FILE]
                                                cost report from the audit log
  eval --prompts FILE --contract NAME [...]     replay prompts, score each model
                                                against a contract (eval --help)
  keys create|list|show|update|revoke [...]     manage virtual API keys (keys --help)
  help                                          show this text

The configuration is --config, else $SWITCHYARD_CONFIG, else ./switchyard.yaml,
else the embedded default (demo mode when no provider key is set).
`;

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid configuration. */
async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'sim':
      return sim(rest);
    case 'report':
      return (await import('./report-command.js')).runReportCommand(rest, process);
    case 'eval': {
      const { runEvalCommand } = await import('./eval-command.js');
      return runEvalCommand(rest, { stdout: process.stdout, stderr: process.stderr });
    }
    case 'keys':
      return (await import('./keys-command.js')).runKeysCommand(rest, process);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`switchyard: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function serve(args: string[]): Promise<number> {
  applyServeV8Flags();
  const values = readOptions(args, {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
  });
  if (!values) return 2;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let loaded;
  try {
    loaded = loadConfig(values.config ? { path: values.config } : {});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`switchyard: invalid configuration: ${error.message}\n`);
    return 2;
  }
  const { config } = loaded;
  if (values.host) config.server.host = values.host;
  const port = values.port === undefined ? undefined : parsePort(values.port);
  if (port === null) return 2;
  const logger = createLogger({ level: config.logging.level });
  logger.info(
    { source: loaded.source, skipped_providers: loaded.skippedProviders },
    'configuration loaded',
  );
  if (loaded.skippedProviders.length > 0 && !config.demo) {
    // Their tiers now serve with what is left; a tier left with nothing
    // sends its task types up the ladder, to a dearer model.
    const emptied = config.tierOrder.filter((tier) => (config.tiers[tier] ?? []).length === 0);
    logger.warn(
      { skipped_providers: loaded.skippedProviders, emptied_tiers: emptied },
      emptied.length > 0
        ? `providers without an API key are left out, with their deployments; ` +
            `tier ${emptied.join(', ')} has none left, so its requests go to the next tier that has`
        : 'providers without an API key are left out, with their deployments',
    );
  }
  let gateway;
  try {
    gateway = await startGateway({ config, logger, ...(port !== undefined ? { port } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) {
      // Found while starting: a contract file that does not load.
      logger.error({ err: error }, 'invalid configuration');
      process.stderr.write(`switchyard: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    // A port in use, an unreachable key store, a model that will not load.
    logger.error({ err: error }, 'cannot start');
    process.stderr.write(`switchyard: cannot start: ${(error as Error).message}\n`);
    // What started before the failure (a simulator, pools, timers) would keep
    // the process alive, not listening; nothing here is worth waiting for.
    process.exit(1);
  }
  await untilSignal();
  logger.info('shutting down');
  await gateway.close();
  return 0;
}

async function sim(args: string[]): Promise<number> {
  const values = readOptions(args, { port: { type: 'string' }, host: { type: 'string' } });
  if (!values) return 2;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = values.port === undefined ? 8090 : parsePort(values.port);
  if (port === null) return 2;
  const logger = createLogger();
  const { startSimulator } = await import('../sim/index.js');
  const simulator = await startSimulator({ host: values.host ?? '127.0.0.1', port, logger });
  logger.info(
    { url: simulator.url, openai_base_url: `${simulator.url}/v1` },
    'provider simulator listening',
  );
  await untilSignal();
  await simulator.close();
  return 0;
}

/**
 * A command's options, `--help` included; undefined (after saying why on
 * stderr) when an option is unknown or lacks its value.
 */
function readOptions<T extends Record<string, { type: 'string' }>>(
  args: string[],
  options: T,
): ({ [K in keyof T]?: string } & { help?: boolean }) | undefined {
  try {
    const { values } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
    return values as { [K in keyof T]?: string } & { help?: boolean };
  } catch (error) {
    process.stderr.write(`switchyard: ${(error as Error).message}\n\n${USAGE}`);
    return undefined;
  }
}

function parsePort(text: string): number | null {
  const port = Number(text);
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return port;
  process.stderr.write(`switchyard: --port must be a port number, got "${text}"\n`);
  return null;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`switchyard: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
