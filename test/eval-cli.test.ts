import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logging/logger.js';
import { startSimulator, type RunningSimulator } from '../src/sim/index.js';

// These tests run the built CLI (`npm test` builds it first) as a user would.
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const PROMPTS = join(ROOT, 'examples', 'eval', 'prompts.jsonl');
const CHEAP = 'gpt-4o-mini-2024-07-18';
const MID = 'gpt-4o-2024-08-06';

/** The environment less any provider key, so the default config runs in demo mode. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'SWITCHYARD_CONFIG']) delete env[name];
  return env;
}

function evalCli(args: string[], options: { cwd: string }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'eval', ...args], {
      cwd: options.cwd,
      env: cleanEnv(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The cells of the report row that starts with `model`. */
function row(stdout: string, model: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${model} `)) ?? '';
  return line.split(/\s{2,}/);
}

describe('switchyard eval in demo mode', () => {
  it('replays the shipped example set and contract with no provider key', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'switchyard-eval-demo-'));
    const config = join(ROOT, 'examples', 'eval', 'switchyard.yaml');
    const args = ['--config', config, '--prompts', PROMPTS, '--contract', 'sentiment'];
    const { code, stdout, stderr } = await evalCli(
      [...args, '--tiers', 'cheap', '--save', 'b.json'],
      {
        cwd,
      },
    );
    expect(stderr).toContain('demo mode: no provider key is set');
    expect(code).toBe(0);
    expect(stdout).toContain('contract sentiment: 100 prompts per model');
    // model, provider, tier, valid, repaired, refused, p50, p95, cost, answered, errors
    const openai = row(stdout, CHEAP);
    expect(openai.slice(0, 6)).toEqual([CHEAP, 'openai', 'cheap', '100.00%', '0.00%', '0.00%']);
    expect(openai.slice(9)).toEqual(['100/100', '0']);
    expect(row(stdout, 'claude-3-5-haiku-20241022').slice(1, 4)).toEqual([
      'anthropic',
      'cheap',
      '100.00%',
    ]);

    const saved = JSON.parse(readFileSync(join(cwd, 'b.json'), 'utf8'));
    expect(saved).toMatchObject({ version: 1, contract: 'sentiment', prompt_count: 100 });
    expect(Object.keys(saved.models)).toEqual([
      `openai/${CHEAP}`,
      'anthropic/claude-3-5-haiku-20241022',
    ]);
  });
});

describe('switchyard eval against a baseline', () => {
  let sim: RunningSimulator;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({ logger: silentLogger() });
  });
  afterAll(async () => sim.close());

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-eval-drift-'));
    writeFileSync(
      join(dir, 'switchyard.yaml'),
      [
        'providers:',
        `  sim: { kind: openai, base_url: "${sim.url}/v1", api_key: sk-eval-test }`,
        'tiers:',
        `  cheap: [{ provider: sim, model: ${CHEAP} }]`,
        `  mid: [{ provider: sim, model: ${MID} }]`,
        '  heavy: [{ provider: sim, model: o1-2024-12-17 }]',
        `contracts_dir: ${join(ROOT, 'contracts')}`,
        '',
      ].join('\n'),
    );
    const saved = await evalCli(baseArgs('--save', 'baseline.json'), { cwd: dir });
    expect(saved.code).toBe(0);
  });

  function baseArgs(...extra: string[]): string[] {
    return [
      '--config',
      'switchyard.yaml',
      '--prompts',
      PROMPTS,
      '--contract',
      'classification',
      '--tiers',
      'cheap,mid',
      ...extra,
    ];
  }

  it('exits 1 naming the model and the contract when validation success drops 5 points', async () => {
    // Five of the cheap model's next 100 answers lose a required field.
    sim.script(
      CHEAP,
      Array.from({ length: 5 }, () => 'missing_field'),
    );
    const { code, stdout, stderr } = await evalCli(baseArgs('--baseline', 'baseline.json'), {
      cwd: dir,
    });
    expect(code).toBe(1);
    expect(row(stdout, CHEAP)[3]).toBe('95.00%');
    expect(row(stdout, MID)[3]).toBe('100.00%');
    const drifts = stderr.split('\n').filter((line) => line.includes('drift:'));
    expect(drifts).toHaveLength(1);
    // Four prompts are in flight at once, so which of the first few met the fault varies.
    const [message, firstFailure] = drifts[0]!.split('; first failure ');
    expect(message).toBe(
      `switchyard eval: drift: contract "classification": ${CHEAP} (sim) validation ` +
        'success fell 5.00 points, from 100.00% to 95.00% (threshold 2 points)',
    );
    expect(firstFailure).toMatch(
      /^cls-0\d\d: schema_invalid: \/label: must have required property 'label'$/,
    );
  });

  it('exits 0 when the drop stays within the threshold', async () => {
    sim.script(CHEAP, ['missing_field']);
    const { code, stdout, stderr } = await evalCli(baseArgs('--baseline', 'baseline.json'), {
      cwd: dir,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(row(stdout, CHEAP)[3]).toBe('99.00%');
    expect(stdout).toContain('no drift: every model within 2 points of');
  });

  it('honours --threshold: a 5-point drop passes a 5-point threshold', async () => {
    sim.script(
      CHEAP,
      Array.from({ length: 5 }, () => 'missing_field'),
    );
    const args = baseArgs('--baseline', 'baseline.json', '--threshold', '5');
    const { code, stdout } = await evalCli(args, { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toContain('no drift: every model within 5 points of');
  });

  it('exits 2 for a baseline file that is not one', async () => {
    writeFileSync(join(dir, 'other.json'), '{"name": "not a baseline"}');
    const { code, stderr } = await evalCli(baseArgs('--baseline', 'other.json'), { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain('not a switchyard eval baseline (version 1)');
  });
});

describe('switchyard eval usage', () => {
  it('exits 2 without --prompts and prints its usage', async () => {
    const { code, stderr } = await evalCli(['--contract', 'classification'], { cwd: ROOT });
    expect(code).toBe(2);
    expect(stderr).toContain('switchyard eval: --prompts is required');
    expect(stderr).toContain('Usage: switchyard eval --prompts FILE.jsonl --contract NAME');
  });
});
