import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT, simConfigYaml } from './gateway-harness.js';

/**
 * The built CLI; `npm test` builds it before the suite runs.
 * `SWITCHYARD_TEST_CLI` points at another build, e.g. a private one while
 * others rebuild `dist/` in the same tree.
 */
export const CLI_PATH =
  process.env.SWITCHYARD_TEST_CLI ?? join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** One line of a child's pino output. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedProcess {
  /** Where it listens, from its "listening" log line. */
  url: string;
  pid: number;
  /** Every JSON line it wrote to stdout so far. */
  logs: LogLine[];
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves when it exits. */
  exited: Promise<ExitStatus>;
  /**
   * Sends `signal` (SIGTERM by default) and waits for the exit; past
   * `timeoutMs` (default 20 000) it is killed and the promise rejects.
   */
  stop(options?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<ExitStatus>;
}

/** The environment less provider keys and config paths, so only the given file counts. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'SWITCHYARD_CONFIG']) delete env[name];
  delete env['SWITCHYARD_LOG_LEVEL'];
  return { ...env, ...extra };
}

/** Writes a configuration into a fresh temporary directory and returns its path. */
export function writeConfigFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-spawn-'));
  const file = join(dir, 'switchyard.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * `simConfigYaml` for a child process: the same tiers on the simulator, but
 * logging at `info`, since the parent reads the child's URL and what it
 * reports from its log lines. `extra` adds top-level sections.
 */
export function childConfigYaml(simUrl: string, extra = ''): string {
  return simConfigYaml(simUrl, extra).replace(
    'logging: { level: silent }',
    'logging: { level: info }',
  );
}

/**
 * Runs `switchyard serve --config FILE --port 0` as a child process and
 * resolves once it listens. The configuration must log at `info` or lower,
 * since the URL is read from the "switchyard listening" line.
 */
export function spawnGateway(options: {
  configPath: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}): Promise<SpawnedProcess> {
  return spawnCli({
    args: ['serve', '--config', options.configPath, '--port', '0'],
    readyMessage: 'switchyard listening',
    env: options.env ?? {},
    startTimeoutMs: options.startTimeoutMs ?? 20_000,
  });
}

/** Runs `switchyard sim --port 0` as a child process and resolves once it listens. */
export function spawnSimulator(options: { startTimeoutMs?: number } = {}): Promise<SpawnedProcess> {
  return spawnCli({
    args: ['sim', '--port', '0'],
    readyMessage: 'provider simulator listening',
    env: {},
    startTimeoutMs: options.startTimeoutMs ?? 20_000,
  });
}

async function spawnCli(options: {
  args: string[];
  readyMessage: string;
  env: Record<string, string>;
  startTimeoutMs: number;
}): Promise<SpawnedProcess> {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\``);

  const child = spawn(process.execPath, [CLI_PATH, ...options.args], {
    cwd: REPO_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.args[0]} did not listen within ${options.startTimeoutMs} ms`));
    }, options.startTimeoutMs);
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = parseLine(text);
      if (!line) return;
      logs.push(line);
      if (line.msg === options.readyMessage && typeof line['url'] === 'string') {
        clearTimeout(timer);
        resolve(line['url']);
      }
    });
    void exited.then((status) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${options.args[0]} exited (${describeExit(status)}) before listening: ${stderr}`,
        ),
      );
    });
  });

  return {
    url,
    pid: child.pid!,
    logs,
    stderr: () => stderr,
    exited,
    stop: (stopOptions = {}) => stopChild(child, { exited, ...stopOptions }),
  };
}

async function stopChild(
  child: ChildProcess,
  options: { exited: Promise<ExitStatus>; signal?: NodeJS.Signals; timeoutMs?: number },
): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) return options.exited;
  const timeoutMs = options.timeoutMs ?? 20_000;
  child.kill(options.signal ?? 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms; killed`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([options.exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function parseLine(text: string): LogLine | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && 'msg' in value) return value as LogLine;
  } catch {
    // Not a log line (a stray write); ignored.
  }
  return undefined;
}

function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}
