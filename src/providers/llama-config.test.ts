import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../config/load-config.js';
import { REPO_ROOT } from '../test-support/gateway-harness.js';

// A stand-in GGUF: the loader only checks that the file exists.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-llama-config-'));
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'models', 'tiny.gguf'), 'not really a model');
});

const parse = (text: string) => parseConfig(text, { env: {}, baseDir: dir, source: 'test' });

function errorOf(text: string): ConfigError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** A cloud tier and a llama provider; `llama` is the provider's settings. */
function yaml(options: { llama: string; local?: string; cloud?: string }): string {
  return `
providers:
  openai: { kind: openai, base_url: http://127.0.0.1:9/v1, api_key: sk-test${options.cloud ?? ''} }
  local: { kind: llama, ${options.llama} }
tiers:
  cheap: [{ provider: openai, model: gpt-4o-mini-2024-07-18 }]
  ${options.local ?? 'offline: [{ provider: local, model: tiny-local }]'}
tier_order: [cheap]
fallback_tier: offline
`;
}

describe('a llama provider in the configuration', () => {
  it('needs no base_url, reads model_path against the config directory, and has defaults', () => {
    const { config } = parse(yaml({ llama: 'model_path: models/tiny.gguf' }));

    expect(config.providers.local).toMatchObject({
      kind: 'llama',
      baseUrl: '',
      apiKey: undefined,
      llama: {
        modelPath: join(dir, 'models', 'tiny.gguf'),
        contextSizeTokens: 4096,
        threads: 2,
        sequences: 1,
      },
    });
    expect(config.demo).toBe(false);
  });

  it('takes context size, threads and sequences; the context is the deployment window', () => {
    const llama =
      'model_path: models/tiny.gguf, context_size_tokens: 2048, threads: 4, sequences: 2';

    const { config } = parse(yaml({ llama }));

    expect(config.providers.local?.llama).toMatchObject({
      contextSizeTokens: 2048,
      threads: 4,
      sequences: 2,
    });
    expect(config.tiers.offline?.[0]?.contextWindow).toBe(2048);
  });

  it('resolves a relative model_path against the directory of the file it is written in', () => {
    const nested = join(dir, 'conf');
    mkdirSync(nested, { recursive: true });
    const file = join(nested, 'switchyard.yaml');
    writeFileSync(file, yaml({ llama: 'model_path: ../models/tiny.gguf' }));

    const { config } = loadConfig({ path: file, env: {}, cwd: tmpdir() });

    expect(config.providers.local?.llama?.modelPath).toBe(join(dir, 'models', 'tiny.gguf'));
  });

  it('names model_path when the model file does not exist', () => {
    const error = errorOf(yaml({ llama: 'model_path: models/absent.gguf' }));

    expect(error.path).toBe('providers.local.model_path');
    expect(error.message).toBe(
      `providers.local.model_path: no model file at ${join(dir, 'models', 'absent.gguf')}`,
    );
  });

  it('names model_path when it is a directory rather than a file', () => {
    expect(errorOf(yaml({ llama: 'model_path: models' })).path).toBe('providers.local.model_path');
  });

  it('requires model_path for kind llama and base_url for the others', () => {
    expect(errorOf(yaml({ llama: 'threads: 1' })).message).toBe(
      'providers.local.model_path: is required',
    );
    const noUrl = `
providers:
  openai: { kind: openai, api_key: sk-test }
tiers:
  cheap: [{ provider: openai, model: gpt-4o-mini-2024-07-18 }]
`;
    expect(errorOf(noUrl).message).toBe('providers.openai.base_url: is required');
  });

  it('refuses HTTP settings on a llama provider and llama settings on an HTTP one', () => {
    const withUrl = yaml({ llama: 'model_path: models/tiny.gguf, base_url: http://127.0.0.1:1' });
    expect(errorOf(withUrl).message).toBe(
      'providers.local.base_url: is not used by kind llama (the model runs in-process)',
    );
    const withKey = yaml({ llama: 'model_path: models/tiny.gguf, api_key: "${LLAMA_KEY}"' });
    expect(errorOf(withKey).path).toBe('providers.local.api_key');
    const cloudThreads = yaml({ llama: 'model_path: models/tiny.gguf', cloud: ', threads: 2' });
    expect(errorOf(cloudThreads).message).toBe(
      'providers.openai.threads: is only used by kind llama',
    );
  });

  it('lists llama among the kinds', () => {
    const error = errorOf(yaml({ llama: 'model_path: models/tiny.gguf' }).replace('llama', 'lama'));

    expect(error.message).toBe('providers.local.kind: must be one of openai, anthropic, llama');
  });

  it('prices a llama model at zero per token without a price entry, in any tier', () => {
    const local =
      'offline: [{ provider: local, model: tiny-local }]\n' +
      '  mid: [{ provider: local, model: tiny-mid }]';
    const text = yaml({ llama: 'model_path: models/tiny.gguf', local }).replace(
      'tier_order: [cheap]',
      'tier_order: [cheap, mid]',
    );

    const { config } = parse(text);

    for (const model of ['tiny-local', 'tiny-mid']) {
      expect(config.prices.models[model]).toMatchObject({
        inputPerMillionUsd: 0,
        outputPerMillionUsd: 0,
      });
    }
    expect(config.tiers.mid?.map((d) => d.id)).toEqual(['mid/local/tiny-mid']);
  });

  it('still asks for a price for an unknown model of an HTTP provider', () => {
    const text = yaml({ llama: 'model_path: models/tiny.gguf' }).replace(
      'gpt-4o-mini-2024-07-18',
      'my-finetune',
    );

    expect(errorOf(text).path).toBe('tiers.cheap[0].model');
  });
});

describe('switchyard serve with a llama provider', () => {
  // The built CLI (`npm test` builds it first), as the other CLI tests run it.
  it('exits 2 naming providers.local.model_path when the model file is missing', async () => {
    const file = join(dir, 'missing-model.yaml');
    writeFileSync(file, yaml({ llama: 'model_path: models/absent.gguf' }));

    const { code, stderr } = await runCli(['serve', '--config', file]);

    expect(code).toBe(2);
    expect(stderr).toContain(
      'invalid configuration: providers.local.model_path: no model file at ',
    );
  });
});

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const cli = join(REPO_ROOT, 'dist', 'cli', 'main.js');
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
