import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

// These tests run the built CLI (`npm test` builds it first).
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** The environment less any provider key, so the default config runs in demo mode. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'SWITCHYARD_CONFIG']) delete env[name];
  return env;
}

function run(args: string[], options: { cwd?: string } = {}) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: cleanEnv(),
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

describe('switchyard serve', () => {
  it('exits 2 naming the key path of an invalid configuration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'providers:\n  p: { kind: openai, base_url: http://127.0.0.1:1/v1 }\n' +
        'tiers:\n  cheap: [{ provider: p, model: gpt-4o-mini-2024-07-18 }]\n' +
        'retry:\n  max_retries: -1\n',
    );
    const { code, stderr } = await run(['serve', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('retry.max_retries: must be >= 0');
  });

  it('exits 2 when the named configuration file does not exist', async () => {
    const { code, stderr } = await run(['serve', '--config', '/nonexistent/switchyard.yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain('does not exist');
  });

  const MINIMAL =
    'providers:\n  p: { kind: openai, base_url: http://127.0.0.1:1/v1 }\n' +
    'tiers:\n  cheap: [{ provider: p, model: gpt-4o-mini-2024-07-18 }]\n';

  it('exits 2 when the configured contracts_dir does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `${MINIMAL}contracts_dir: ./nocontracts\n`);
    const { code, stderr } = await run(['serve', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`contracts_dir: directory ${join(dir, 'nocontracts')} does not exist`);
  });

  it('exits 2 naming a contract file that does not load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
    mkdirSync(join(dir, 'contracts'));
    writeFileSync(join(dir, 'contracts', 'broken.json'), '{"type": "object",');
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `${MINIMAL}contracts_dir: ./contracts\n`);
    const { code, stderr } = await run(['serve', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `invalid configuration: contracts_dir: ${join(dir, 'contracts', 'broken.json')}:`,
    );
  });

  it('exits 2 when contracts_dir is a file, or two files name the same contract', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
    writeFileSync(join(dir, 'afile'), 'x');
    const asFile = join(dir, 'file.yaml');
    writeFileSync(asFile, `${MINIMAL}contracts_dir: ./afile\n`);
    const file = await run(['serve', '--config', asFile]);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain(`contracts_dir: ${join(dir, 'afile')} is not a directory`);

    mkdirSync(join(dir, 'twice'));
    writeFileSync(join(dir, 'twice', 'label.json'), '{"type": "object"}');
    writeFileSync(join(dir, 'twice', 'label.yaml'), 'type: object\n');
    const twice = join(dir, 'twice.yaml');
    writeFileSync(twice, `${MINIMAL}contracts_dir: ./twice\n`);
    const duplicate = await run(['serve', '--config', twice]);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain(
      'a contract named "label" is already loaded from another file',
    );
  });

  it('exits 2 on an unknown option, and --help shows the usage', async () => {
    const bogus = await run(['serve', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("switchyard: Unknown option '--bogus'");
    expect((await run(['sim', '--help'])).code).toBe(0);
  });

  it('warns at start about a tier that missing keys left empty', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'switchyard-emptied-'));
    const config = join(cwd, 'switchyard.yaml');
    const text = readFileSync(join(ROOT, 'switchyard.example.yaml'), 'utf8')
      .replace('contracts_dir: ./contracts', `contracts_dir: ${join(ROOT, 'contracts')}`)
      .replace(
        /mid:\n(\s+- \{ provider: )openai(.*)\n(\s+- \{ provider: anthropic.*)\n/,
        'mid:\n$3\n',
      );
    writeFileSync(config, text);
    child = spawn(process.execPath, [CLI, 'serve', '--config', config, '--port', '0'], {
      cwd,
      env: { ...cleanEnv(), OPENAI_API_KEY: 'sk-test-not-a-real-key-000' },
    });
    const lines = createInterface({ input: child.stdout! });
    const warning = await new Promise<{ msg: string; emptied_tiers: string[] }>(
      (resolve, reject) => {
        lines.on('line', (line) => {
          const entry = JSON.parse(line) as { msg: string; emptied_tiers?: string[] };
          if (entry.emptied_tiers) resolve(entry as { msg: string; emptied_tiers: string[] });
        });
        child!.on('exit', (code) => reject(new Error(`exited with ${code}`)));
      },
    );
    expect(warning.emptied_tiers).toEqual(['mid']);
    expect(warning.msg).toContain('tier mid has none left');
  });

  it('serves a classification in demo mode with the embedded default', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
    child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { cwd, env: cleanEnv() });
    const lines = createInterface({ input: child.stdout! });
    let demoLine = '';
    const url = await new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as { msg: string; url?: string };
        if (entry.msg.startsWith('demo mode')) demoLine = entry.msg;
        if (entry.msg === 'switchyard listening' && entry.url) resolve(entry.url);
      });
      child!.on('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    expect(demoLine).toContain('simulator serves every tier');

    const response = await fetch(`${url}/v1/route`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        task_type: 'classification',
        prompt: 'The delivery was late again.',
        contract: 'classification',
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      tier: string;
      model_used: string;
      payload: { label: string };
    };
    expect(body.tier).toBe('cheap');
    expect(body.model_used).toBe('gpt-4o-mini-2024-07-18');
    expect(['positive', 'negative', 'neutral']).toContain(body.payload.label);

    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
