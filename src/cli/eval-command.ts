import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildProviders } from '../app/build-providers.js';
import { toDemoConfig } from '../app/demo-mode.js';
import type { GatewayConfig } from '../config/config-types.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { ContractRegistry } from '../contracts/contract-registry.js';
import type { CompiledContract } from '../contracts/compile-schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import {
  BaselineError,
  compareToBaseline,
  readBaseline,
  saveBaseline,
  type Baseline,
} from '../eval/baseline.js';
import { formatEvalReport } from '../eval/format-eval-report.js';
import { PromptSetError, readPromptSet, type EvalPrompt } from '../eval/prompt-set.js';
import { EvalSetupError, runEval, type EvalResult } from '../eval/run-eval.js';
import { silentLogger } from '../logging/logger.js';
import { HttpPools } from '../providers/http-pool.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import { systemClock } from '../util/clock.js';

/** Where a command writes, and the environment it reads; tests pass their own. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Relative paths resolve against this; default `process.cwd()`. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export const EVAL_USAGE = `Usage: switchyard eval --prompts FILE.jsonl --contract NAME [options]

Replays each prompt against every deployment of the chosen tiers and prints,
per model: validation success, repair rate, refusal rate, latency p50/p95, cost.

Options:
  --prompts FILE      JSONL, one {"id"?, "prompt" | "messages"} per line (required)
  --contract NAME     a contract of the configured contracts directory (required)
  --tiers a,b,c       tiers to evaluate (default: every tier, lightest first)
  --config FILE       the gateway configuration (default as for serve)
  --baseline FILE     compare with a saved run; exit 1 on a drop past the threshold
  --threshold POINTS  allowed drop in validation success, in percentage points (2)
  --save FILE         write this run as a baseline
  --concurrency N     prompts in flight per deployment (4)

Exit codes: 0 no drift, 1 drift against the baseline, 2 bad usage or input.
`;

interface EvalArgs {
  promptsPath: string;
  contractName: string;
  tiers: string[] | undefined;
  configPath: string | undefined;
  baselinePath: string | undefined;
  savePath: string | undefined;
  thresholdPoints: number;
  concurrency: number;
}

/** Bad usage or input: the message is printed, the exit code is 2. */
class UsageError extends Error {}

/**
 * `switchyard eval`: catches a model that has stopped honouring a contract
 * (a provider moved an alias, a new snapshot formats dates differently)
 * before users do. Exit codes: 0 no drift, 1 drift, 2 bad usage or input.
 */
export async function runEvalCommand(args: string[], io: CommandIo): Promise<number> {
  try {
    const parsed = parseEvalArgs(args, io);
    if (parsed === 'help') {
      io.stdout.write(EVAL_USAGE);
      return 0;
    }
    const inputs = loadInputs(parsed, io);
    const result = await evaluate({ ...inputs, args: parsed, io });
    io.stdout.write(formatEvalReport(result));
    if (parsed.savePath) {
      saveBaseline(parsed.savePath, result);
      io.stdout.write(`saved baseline to ${parsed.savePath}\n`);
    }
    if (!inputs.baseline) return 0;
    return reportComparison({ baseline: inputs.baseline, result, args: parsed, io });
  } catch (error) {
    if (!isInputError(error)) throw error;
    io.stderr.write(`switchyard eval: ${error.message}\n`);
    return 2;
  }
}

function isInputError(error: unknown): error is Error {
  return (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof PromptSetError ||
    error instanceof BaselineError ||
    error instanceof EvalSetupError
  );
}

function parseEvalArgs(args: string[], io: CommandIo): EvalArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        prompts: { type: 'string' },
        contract: { type: 'string' },
        tiers: { type: 'string' },
        config: { type: 'string' },
        baseline: { type: 'string' },
        threshold: { type: 'string' },
        save: { type: 'string' },
        concurrency: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${EVAL_USAGE}`);
  }
  if (values.help) return 'help';
  if (!values.prompts) throw new UsageError(`--prompts is required\n\n${EVAL_USAGE}`);
  if (!values.contract) throw new UsageError(`--contract is required\n\n${EVAL_USAGE}`);
  const cwd = io.cwd ?? process.cwd();
  const path = (value: string | undefined) => (value ? resolve(cwd, value) : undefined);
  return {
    promptsPath: resolve(cwd, values.prompts),
    contractName: values.contract,
    tiers: values.tiers?.split(',').map((tier) => tier.trim()),
    configPath: path(values.config),
    baselinePath: path(values.baseline),
    savePath: path(values.save),
    thresholdPoints: parseNumber({ flag: '--threshold', text: values.threshold, fallback: 2 }),
    concurrency: Math.max(
      1,
      Math.floor(parseNumber({ flag: '--concurrency', text: values.concurrency, fallback: 4 })),
    ),
  };
}

function parseNumber(options: { flag: string; text: string | undefined; fallback: number }) {
  if (options.text === undefined) return options.fallback;
  const value = Number(options.text);
  if (options.text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`${options.flag} must be a non-negative number, got "${options.text}"`);
  }
  return value;
}

interface Inputs {
  config: GatewayConfig;
  contract: CompiledContract;
  prompts: EvalPrompt[];
  baseline: Baseline | undefined;
}

function loadInputs(args: EvalArgs, io: CommandIo): Inputs {
  const { config } = loadConfig({
    ...(args.configPath ? { path: args.configPath } : {}),
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  });
  const contracts = ContractRegistry.fromDirectory(config.contractsDir);
  let contract: CompiledContract;
  try {
    contract = contracts.get(args.contractName);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    const known = contracts.names().join(', ') || 'none';
    throw new UsageError(
      `--contract: no contract named "${args.contractName}" in ${config.contractsDir} ` +
        `(known: ${known})`,
    );
  }
  const prompts = readPromptSet(args.promptsPath);
  const baseline = args.baselinePath ? readBaseline(args.baselinePath) : undefined;
  if (baseline && baseline.contract !== contract.name) {
    throw new UsageError(
      `--baseline: ${args.baselinePath} is a baseline of contract "${baseline.contract}", ` +
        `not "${contract.name}"`,
    );
  }
  return { config, contract, prompts, baseline };
}

/** Runs the replay, with the built-in simulator standing in when no key is set. */
async function evaluate(options: Inputs & { args: EvalArgs; io: CommandIo }): Promise<EvalResult> {
  const { args, io } = options;
  let config = options.config;
  let simulator: RunningSimulator | undefined;
  if (config.demo) {
    simulator = await startSimulator({ logger: silentLogger() });
    config = toDemoConfig(config, simulator.url);
    io.stderr.write(
      'switchyard eval: demo mode: no provider key is set, so the built-in simulator ' +
        'answers; its figures say nothing about real models\n',
    );
  }
  const pools = new HttpPools();
  try {
    const providers = buildProviders({ config, pools, now: systemClock.now });
    return await runEval({
      config,
      providers,
      contract: options.contract,
      prompts: options.prompts,
      tiers: args.tiers ?? config.tierOrder,
      clock: systemClock,
      concurrency: args.concurrency,
    });
  } finally {
    await pools.close();
    await simulator?.close();
  }
}

function reportComparison(options: {
  baseline: Baseline;
  result: EvalResult;
  args: EvalArgs;
  io: CommandIo;
}): number {
  const { baseline, result, args, io } = options;
  const { drifts, notes } = compareToBaseline({
    baseline,
    result,
    thresholdPoints: args.thresholdPoints,
  });
  for (const note of notes) io.stdout.write(`note: ${note}\n`);
  for (const drift of drifts) io.stderr.write(`switchyard eval: drift: ${drift.message}\n`);
  if (drifts.length > 0) return 1;
  io.stdout.write(
    `no drift: every model within ${args.thresholdPoints} points of ${args.baselinePath}\n`,
  );
  return 0;
}
