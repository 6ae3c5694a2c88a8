import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runEvalCommand } from '../cli/eval-command.js';
import { silentLogger } from '../logging/logger.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import { simConfigYaml } from '../test-support/gateway-harness.js';

const CHEAP = 'gpt-4o-mini-2024-07-18';
const MID = 'gpt-4o-2024-08-06';
const PROMPTS = 20;

let sim: RunningSimulator;
let dir: string;

beforeEach(async () => {
  sim = await startSimulator({ logger: silentLogger() });
  dir = mkdtempSync(join(tmpdir(), 'switchyard-eval-'));
  writeFileSync(join(dir, 'switchyard.yaml'), simConfigYaml(sim.url));
  const lines = Array.from({ length: PROMPTS }, (_, i) =>
    JSON.stringify({ id: `p${String(i + 1).padStart(2, '0')}`, prompt: `Review number ${i}.` }),
  );
  writeFileSync(join(dir, 'prompts.jsonl'), `${lines.join('\n')}\n`);
});
afterEach(async () => sim.close());

/** Runs the command one prompt at a time, so scripted faults meet known prompts. */
async function evalCli(...extra: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: dir,
    env: {},
  };
  const args = ['--prompts', 'prompts.jsonl', '--contract', 'classification'];
  args.push('--tiers', 'cheap,mid', '--concurrency', '1', ...extra);
  const code = await runEvalCommand(args, io);
  return { code, stdout, stderr };
}

function row(stdout: string, model: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(model)) ?? '';
  return line.split(/\s{2,}/);
}

describe('switchyard eval against the simulator', () => {
  it('prints validation, repair and refusal rates for each model of the chosen tiers', async () => {
    sim.script(CHEAP, ['fenced_json', 'fenced_json', 'refusal', 'missing_field']);
    const { code, stdout, stderr } = await evalCli();
    expect(code).toBe(0);
    expect(stderr).toBe('');
    // model, provider, tier, valid, repaired, refused, p50, p95, cost, answered, errors
    const cheap = row(stdout, CHEAP);
    expect(cheap.slice(0, 6)).toEqual([CHEAP, 'openai', 'cheap', '90.00%', '10.00%', '5.00%']);
    expect(cheap.slice(9)).toEqual(['20/20', '0']);
    expect(row(stdout, MID).slice(0, 6)).toEqual([
      MID,
      'openai',
      'mid',
      '100.00%',
      '0.00%',
      '0.00%',
    ]);
    expect(stdout).toContain(`${CHEAP}: first failure p03: refusal:`);
    expect(sim.stats().byModel).toEqual({ [CHEAP]: PROMPTS, [MID]: PROMPTS });
  });

  it('saves a baseline with each model’s counts', async () => {
    const { code } = await evalCli('--save', 'baseline.json');
    expect(code).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8'));
    expect(saved.version).toBe(1);
    expect(saved.contract).toBe('classification');
    expect(saved.prompt_count).toBe(PROMPTS);
    expect(Object.keys(saved.models)).toEqual([`openai/${CHEAP}`, `openai/${MID}`]);
    expect(saved.models[`openai/${CHEAP}`]).toMatchObject({
      model: CHEAP,
      tier: 'cheap',
      answered: PROMPTS,
      valid: PROMPTS,
      validation_success_pct: 100,
      refusal_rate_pct: 0,
    });
  });

  it('exits 1 naming the model and the contract when one model drifts', async () => {
    expect((await evalCli('--save', 'baseline.json')).code).toBe(0);
    sim.script(CHEAP, ['missing_field', 'missing_field', 'naive_timestamp', 'missing_field']);
    const { code, stderr, stdout } = await evalCli('--baseline', 'baseline.json');
    expect(code).toBe(1);
    expect(stderr).toBe(
      'switchyard eval: drift: contract "classification": gpt-4o-mini-2024-07-18 (openai) ' +
        'validation success fell 15.00 points, from 100.00% to 85.00% (threshold 2 points); ' +
        "first failure p01: schema_invalid: /label: must have required property 'label'\n",
    );
    expect(stdout).not.toContain('no drift');
  });

  it('exits 0 when the drop is within the threshold', async () => {
    expect((await evalCli('--save', 'baseline.json')).code).toBe(0);
    sim.script(CHEAP, ['missing_field']);
    const strict = await evalCli('--baseline', 'baseline.json');
    expect(strict.code).toBe(1);
    sim.script(CHEAP, ['missing_field']);
    const lenient = await evalCli('--baseline', 'baseline.json', '--threshold', '5');
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('no drift: every model within 5 points of');
  });

  it('exits 1 when a model with a baseline answers nothing', async () => {
    expect((await evalCli('--save', 'baseline.json')).code).toBe(0);
    sim.configure(MID, { faultRate: 1, faultScenarios: ['auth_error'] });
    const { code, stderr } = await evalCli('--baseline', 'baseline.json');
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${MID} (openai) answered none of 20 prompts (20 upstream errors); ` +
        'its baseline validation success is 100.00%',
    );
  });
});

describe('switchyard eval input errors', () => {
  it('exits 2 without --prompts', async () => {
    let stderr = '';
    const code = await runEvalCommand(['--contract', 'classification'], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
    });
    expect(code).toBe(2);
    expect(stderr.startsWith('switchyard eval: --prompts is required\n')).toBe(true);
  });

  it('exits 2 naming the known contracts for an unknown one', async () => {
    const { code, stderr } = await evalCli('--contract', 'sentiment');
    expect(code).toBe(2);
    expect(stderr).toContain('switchyard eval: --contract: no contract named "sentiment" in ');
    expect(stderr).toContain('(known: classification, extraction, reasoning)');
  });

  it('exits 2 for a tier the configuration does not have', async () => {
    const { code, stderr } = await evalCli('--tiers', 'cheap,local');
    expect(code).toBe(2);
    expect(stderr).toBe(
      'switchyard eval: --tiers: unknown tier "local" (configured: cheap, mid, heavy)\n',
    );
    expect(sim.stats().requests).toBe(0);
  });

  it('exits 2 for a baseline of another contract', async () => {
    expect((await evalCli('--save', 'baseline.json')).code).toBe(0);
    const { code, stderr } = await evalCli(
      '--contract',
      'extraction',
      '--baseline',
      'baseline.json',
    );
    expect(code).toBe(2);
    expect(stderr).toContain('is a baseline of contract "classification", not "extraction"');
  });

  it('exits 2 for a threshold that is not a number', async () => {
    const { code, stderr } = await evalCli('--threshold', 'two');
    expect(code).toBe(2);
    expect(stderr).toBe('switchyard eval: --threshold must be a non-negative number, got "two"\n');
  });
});
