import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// These tests run the built CLI (`npm test` builds it first).
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

const CONFIG_YAML = `
providers:
  p: { kind: openai, base_url: 'http://127.0.0.1:9/v1', api_key: test-key }
tiers:
  cheap: [{ provider: p, model: gpt-4o-mini-2024-07-18 }]
  heavy: [{ provider: p, model: o1-2024-12-17 }]
keys: { sqlite_path: ./keys/api-keys.db }
`;

function run(args: string[], cwd: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env };
    delete env.SWITCHYARD_CONFIG;
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('switchyard keys', () => {
  it('creates, lists and revokes a key in the store its configuration names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-keys-e2e-'));
    const config = join(dir, 'switchyard.yaml');
    writeFileSync(config, CONFIG_YAML);

    const created = await run(
      ['keys', 'create', '--config', config, '--owner', 'ops', '--tiers', 'cheap', '--json'],
      tmpdir(),
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; allowed_tiers: string[] };
    expect(key.key).toMatch(/^sk-sy-[0-9A-Za-z]{32}$/);
    expect(key.allowed_tiers).toEqual(['cheap']);

    // `keys.sqlite_path` is relative to the configuration file, not the working directory.
    const listed = await run(['keys', 'list', '--store', join(dir, 'keys', 'api-keys.db')], dir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(key.id);
    expect(listed.stdout).not.toContain(key.key);

    const revoked = await run(['keys', 'revoke', key.id, '--config', config], tmpdir());
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('status:       revoked');
  });

  it('exits 2 with its usage for an unknown subcommand', async () => {
    const { code, stderr } = await run(['keys', 'rotate'], tmpdir());
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "rotate"');
    expect(stderr).toContain('Usage: switchyard keys <command>');
  });
});
