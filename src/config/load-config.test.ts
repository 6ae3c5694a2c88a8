import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_YAML } from './default-config.js';
import { ConfigError, loadConfig, parseConfig } from './load-config.js';

const parse = (text: string, env: NodeJS.ProcessEnv = {}) =>
  parseConfig(text, { env, baseDir: '/srv', source: 'test' });

function errorOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parse(text, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const MINIMAL = `
providers:
  local: { kind: openai, base_url: http://127.0.0.1:9000/v1 }
tiers:
  cheap: [{ provider: local, model: gpt-4o-mini-2024-07-18 }]
  heavy: [{ provider: local, model: o1-2024-12-17 }]
`;

describe('loadConfig', () => {
  it('runs the embedded default in demo mode when no key is set', () => {
    const { config, skippedProviders } = parseConfig(DEFAULT_CONFIG_YAML, {
      env: {},
      baseDir: '/srv',
      source: 'embedded default',
      demoWhenKeyless: true,
    });
    expect(config.demo).toBe(true);
    expect(skippedProviders).toEqual(['openai', 'anthropic']);
    expect(config.tiers.cheap?.map((d) => d.model)).toEqual([
      'gpt-4o-mini-2024-07-18',
      'claude-3-5-haiku-20241022',
    ]);
    expect(config.cost.maxCostUsdPerRequest).toBe(0.05);
    expect(config.taskTypes).toEqual({
      classification: 'cheap',
      extraction: 'mid',
      reasoning: 'heavy',
    });
  });

  it('refuses to start a configuration file without any key, rather than simulate', () => {
    expect(errorOf(DEFAULT_CONFIG_YAML).message).toBe(
      'providers: no provider has an API key (openai, anthropic: none set); set one, or ' +
        '`demo: true` to serve every tier from the built-in simulator',
    );
    expect(parse(`${DEFAULT_CONFIG_YAML}\ndemo: true\n`).config.demo).toBe(true);
    expect(parse(`${DEFAULT_CONFIG_YAML}\ndemo: auto\n`).config.demo).toBe(true);
    const keyed = parse(`${DEFAULT_CONFIG_YAML}\ndemo: auto\n`, { OPENAI_API_KEY: 'sk-x' });
    expect(keyed.config.demo).toBe(false);
  });

  it('routes to the real OpenAI when only its key is set, leaving Anthropic out', () => {
    const { config } = parse(DEFAULT_CONFIG_YAML, { OPENAI_API_KEY: 'sk-test' });
    expect(config.demo).toBe(false);
    expect(config.providers.openai?.baseUrl).toBe('https://api.openai.com/v1');
    expect(config.providers.openai?.apiKey).toBe('sk-test');
    expect(config.tiers.heavy?.map((d) => d.id)).toEqual(['heavy/openai/o1-2024-12-17']);
  });

  it('expands ${VAR} and ${VAR:-fallback} after parsing', () => {
    const text = MINIMAL.replace('http://127.0.0.1:9000/v1', '"${BASE:-http://127.0.0.1:1/v1}"');
    expect(parse(text).config.providers.local?.baseUrl).toBe('http://127.0.0.1:1/v1');
    expect(parse(text, { BASE: 'http://127.0.0.2:9/v1' }).config.providers.local?.baseUrl).toBe(
      'http://127.0.0.2:9/v1',
    );
  });

  it('names the key path of a wrong type', () => {
    const error = errorOf(`${MINIMAL}\nretry:\n  max_retries: lots\n`);
    expect(error.path).toBe('retry.max_retries');
    expect(error.message).toBe('retry.max_retries: must be integer');
  });

  it('names an unknown provider inside a tier list', () => {
    const error = errorOf(
      MINIMAL.replace('provider: local, model: o1', 'provider: nope, model: o1'),
    );
    expect(error.path).toBe('tiers.heavy[0].provider');
  });

  it('says where YAML is broken without quoting the line, which may hold a key', () => {
    const error = errorOf('providers:\n  openai:\n    api_key: sk-live-0123456789: x\n');
    expect(error.message).toBe(
      'not valid YAML: Nested mappings are not allowed in compact mappings at line 3, column 14',
    );
    expect(error.message).not.toContain('sk-live');
    const alias = errorOf('providers:\n  openai:\n    api_key: *sk-live-0123456789\n');
    expect(alias.message).toBe(
      'not valid YAML: Unresolved alias (the anchor must be set before the alias)',
    );
  });

  it('names an unknown setting', () => {
    expect(errorOf(`${MINIMAL}\ncost:\n  cap: 1\n`).path).toBe('cost.cap');
  });

  it('rejects a price whose magnitude shows a unit mistake', () => {
    const text = `${MINIMAL}
prices:
  models:
    my-model: { input_per_million_usd: 0.0000001, output_per_million_usd: 2 }
`;
    expect(errorOf(text).path).toBe('prices.models.my-model.input_per_million_usd');
  });

  it('requires a price for every deployed model', () => {
    const error = errorOf(MINIMAL.replace('o1-2024-12-17', 'mystery-1'));
    expect(error.path).toBe('tiers.heavy[0].model');
  });

  it('says a --config that names a directory cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-dir-'));
    expect(() => loadConfig({ path: dir, env: {} })).toThrow(
      `configuration file ${dir} cannot be read: is a directory`,
    );
  });

  it('reads the explicit file, and fails for a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, `${MINIMAL}\ncontracts_dir: ./schemas\n`);
    expect(() => loadConfig({ path: file, env: {} })).toThrow(
      `contracts_dir: directory ${join(dir, 'schemas')} does not exist`,
    );
    mkdirSync(join(dir, 'schemas'));
    const { config, source } = loadConfig({ path: file, env: {} });
    expect(source).toBe(file);
    expect(config.contractsDir).toBe(join(dir, 'schemas'));
    expect(() => loadConfig({ path: join(dir, 'missing.yaml'), env: {} })).toThrow(ConfigError);
  });
});

describe('switchyard.example.yaml', () => {
  it('is the embedded default configuration, word for word', async () => {
    const { readFileSync } = await import('node:fs');
    const file = join(import.meta.dirname, '..', '..', 'switchyard.example.yaml');
    expect(readFileSync(file, 'utf8')).toBe(DEFAULT_CONFIG_YAML);
  });
});
