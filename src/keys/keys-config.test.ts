import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/load-config.js';
import {
  ADMIN_CONFIG_SCHEMA,
  KEYS_CONFIG_SCHEMA,
  normaliseAdminConfig,
  normaliseKeysConfig,
} from './keys-config.js';

const validate = new Ajv({ allErrors: false, strict: false }).compile({
  type: 'object',
  properties: { keys: KEYS_CONFIG_SCHEMA, admin: ADMIN_CONFIG_SCHEMA },
});

/** The first error as the configuration loader reports it: where, and what. */
function firstError(section: unknown): { path: string; message: string } | undefined {
  if (validate(section)) return undefined;
  const error = validate.errors![0]!;
  return { path: error.instancePath, message: error.message ?? '' };
}

describe('the keys section', () => {
  it('defaults to a SQLite file beside the configuration file', () => {
    expect(normaliseKeysConfig(undefined, { baseDir: '/etc/switchyard' })).toEqual({
      store: { kind: 'sqlite', path: '/etc/switchyard/switchyard.db' },
    });
  });

  it('resolves a relative sqlite_path against the configuration file', () => {
    const config = normaliseKeysConfig({ sqlite_path: 'data/keys.db' }, { baseDir: '/srv' });
    expect(config.store).toEqual({ kind: 'sqlite', path: '/srv/data/keys.db' });
  });

  it('names the PostgreSQL schema switchyard_keys unless told otherwise', () => {
    const url = 'postgres://gw@127.0.0.1:5432/test';
    expect(normaliseKeysConfig({ store: 'postgres', postgres_url: url }, { baseDir: '/' })).toEqual(
      { store: { kind: 'postgres', connectionString: url, schema: 'switchyard_keys' } },
    );
  });

  it('requires postgres_url with store: postgres', () => {
    expect(firstError({ keys: { store: 'postgres' } })).toEqual({
      path: '/keys',
      message: "must have required property 'postgres_url'",
    });
  });

  it('refuses a schema name that would have to be quoted in SQL', () => {
    expect(firstError({ keys: { postgres_schema: 'Keys; DROP' } })?.path).toBe(
      '/keys/postgres_schema',
    );
  });

  it('refuses an unknown store', () => {
    expect(firstError({ keys: { store: 'mysql' } })?.path).toBe('/keys/store');
  });
});

describe('the admin section', () => {
  it('turns the admin API off when the token is unset or blank', () => {
    expect(firstError({ admin: { token: '' } })).toBeUndefined();
    expect(normaliseAdminConfig({ token: '' })).toEqual({ token: undefined });
    expect(normaliseAdminConfig({ token: '  ' })).toEqual({ token: undefined });
    expect(normaliseAdminConfig(undefined)).toEqual({ token: undefined });
  });

  it('refuses a token shorter than 16 characters, saying so', () => {
    expect(firstError({ admin: { token: 'hunter2' } })).toEqual({
      path: '/admin/token',
      message: 'must NOT have fewer than 16 characters',
    });
  });

  it('keeps a long token, trimmed', () => {
    const token = 'adm-0123456789abcdef';
    expect(firstError({ admin: { token: `${token}\n` } })).toBeUndefined();
    expect(normaliseAdminConfig({ token: `${token}\n` })).toEqual({ token });
  });
});

describe('the sections in a configuration file', () => {
  const YAML = `
providers:
  p: { kind: openai, base_url: 'http://127.0.0.1:9/v1', api_key: test-key }
tiers:
  cheap: [{ provider: p, model: gpt-4o-mini-2024-07-18 }]
admin:
  token: \${SWITCHYARD_ADMIN_TOKEN}
`;
  const parse = (text: string, env: NodeJS.ProcessEnv = {}) =>
    parseConfig(text, { env, baseDir: '/srv/gw', source: '/srv/gw/switchyard.yaml' }).config;

  it('leaves the admin API off when SWITCHYARD_ADMIN_TOKEN is unset', () => {
    const config = parse(YAML);
    expect(config.admin.token).toBeUndefined();
    expect(config.keys.store).toEqual({ kind: 'sqlite', path: '/srv/gw/switchyard.db' });
  });

  it('takes the admin token from the environment', () => {
    const token = 'from-env-0123456789abcdef';
    expect(parse(YAML, { SWITCHYARD_ADMIN_TOKEN: token }).admin.token).toBe(token);
  });

  it('stops start-up on a short admin token, naming the key', () => {
    expect(() => parse(YAML, { SWITCHYARD_ADMIN_TOKEN: 'hunter2' })).toThrow(
      new ConfigError('admin.token', 'must NOT have fewer than 16 characters'),
    );
  });
});
