import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './load-config.js';

const ROOT = join(import.meta.dirname, '..', '..');

const BASE = `
providers:
  openai: { kind: openai, base_url: http://127.0.0.1:1/v1, api_key: sk-test }
tiers:
  cheap: [{ provider: openai, model: gpt-4o-mini-2024-07-18 }]
`;

function parse(extra: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfig(BASE + extra, { env, baseDir: '/srv/switchyard', source: 'test' }).config;
}

function errorOf(extra: string): string {
  try {
    parse(extra);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('feature sections of the configuration', () => {
  it('defaults to in-process state, a memory cache, an SQLite audit log and open keys', () => {
    const config = parse('');
    expect(config.redis.url).toBeUndefined();
    expect(config.cache).toEqual({
      enabled: true,
      backend: 'memory',
      ttlMs: 600_000,
      maxEntries: 10_000,
    });
    expect(config.audit.backend).toBe('sqlite');
    expect(config.audit.sqlite.path).toBe('/srv/switchyard/switchyard-audit.db');
    expect(config.audit.includeText).toBe(false);
    expect(config.keys.store).toEqual({ kind: 'sqlite', path: '/srv/switchyard/switchyard.db' });
    expect(config.admin.token).toBeUndefined();
    expect(config.policies.latency.thresholdMs).toBe(200);
    expect(config.policies.schema.maxFailureRate).toBe(0.02);
  });

  it('puts the cache in Redis once redis.url is set, and an empty URL means none', () => {
    expect(parse('redis: { url: "redis://127.0.0.1:6379" }').cache.backend).toBe('redis');
    expect(parse('redis: { url: "${REDIS_URL:-}" }').redis.url).toBeUndefined();
  });

  it('names the key at fault', () => {
    expect(errorOf('cache: { backend: redis }')).toBe(
      'cache.backend: is redis, but redis.url is not set',
    );
    expect(errorOf('cache: { ttl: 5 }')).toBe('cache.ttl: is not a known setting');
    expect(errorOf('redis: { url: "http://x" }')).toMatch(/^redis\.url: /);
    expect(errorOf('audit: { backend: postgres }')).toMatch(/^audit\.postgres: is required/);
    expect(errorOf('policies: { latncy: {} }')).toBe('policies.latncy: is not a known setting');
    expect(errorOf('policies: { latency: { threshold_ms: -1 } }')).toBe(
      'policies.latency.threshold_ms: must be a positive number',
    );
    expect(errorOf('admin: { token: short }')).toMatch(/^admin\.token: /);
  });

  it('maps the three task types to their tiers when task_types is left out', () => {
    const config = parseConfig(
      BASE.replace(
        'tiers:\n  cheap: [{ provider: openai, model: gpt-4o-mini-2024-07-18 }]',
        'tiers:\n  cheap: [{ provider: openai, model: gpt-4o-mini-2024-07-18 }]\n' +
          '  heavy: [{ provider: openai, model: o1-2024-12-17 }]',
      ),
      { env: {}, baseDir: '/srv', source: 'test' },
    ).config;
    expect({ ...config.taskTypes }).toEqual({ classification: 'cheap', reasoning: 'heavy' });
  });

  it('refuses a tier with no deployments', () => {
    expect(errorOf('  mid: []\n')).toMatch(/^tiers\.mid: /);
  });

  it("refuses to forward a header that carries the client's credentials", () => {
    const yaml = (headers: string) =>
      BASE.replace('api_key: sk-test }', `api_key: sk-test, forward_headers: [${headers}] }`);
    const errorFor = (headers: string) => {
      try {
        parseConfig(yaml(headers), { env: {}, baseDir: '/srv', source: 'test' });
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      return 'accepted';
    };
    expect(errorFor('x-request-tag')).toBe('accepted');
    expect(errorFor('x-request-tag, X-Api-Key')).toBe(
      'providers.openai.forward_headers[1]: "X-Api-Key" carries the client\'s credentials and is never passed upstream',
    );
    expect(errorFor('authorization')).toMatch(/^providers\.openai\.forward_headers\[0\]: /);
    expect(errorFor('host')).toBe(
      'providers.openai.forward_headers[0]: "host" belongs to the client\'s own connection or body',
    );
    expect(errorFor('"x-api-key "')).toBe(
      'providers.openai.forward_headers[0]: "x-api-key " is not an HTTP header name',
    );
  });

  it('refuses a deadline longer than a Node timer can wait', () => {
    expect(errorOf('deadline_ms: 2147483648')).toMatch(/^deadline_ms: /);
    expect(parse('deadline_ms: 2147483647').deadlineMs).toBe(2147483647);
  });

  it('refuses a tier listed twice in tier_order, which would escalate downwards', () => {
    expect(errorOf('tier_order: [cheap, cheap]')).toBe(
      'tier_order[1]: lists tier "cheap" a second time',
    );
  });

  it('takes names such as constructor as unknown, not as Object members', () => {
    expect(errorOf('default_tier: constructor')).toBe('default_tier: unknown tier "constructor"');
    expect(errorOf('task_types: { x: toString }')).toBe('task_types.x: unknown tier "toString"');
  });

  it('refuses task type names no request could send, showing hidden characters escaped', () => {
    expect(errorOf(`task_types: { ${'t'.repeat(65)}: cheap }`)).toBe(
      `task_types."${'t'.repeat(65)}": is longer than 64 characters`,
    );
    expect(errorOf('task_types: { "a\\u202eb": cheap }')).toBe(
      'task_types."a\\u202eb": must not contain control or invisible formatting characters',
    );
  });

  it('reads examples/production.yaml with its variables set', () => {
    const text = readFileSync(join(ROOT, 'examples', 'production.yaml'), 'utf8');
    const { config } = parseConfig(text, {
      env: {
        OPENAI_API_KEY: 'sk-test',
        ANTHROPIC_API_KEY: 'sk-ant-test',
        SWITCHYARD_ADMIN_TOKEN: 'a-long-enough-admin-token',
        DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      },
      baseDir: join(ROOT, 'examples'),
      source: 'production.yaml',
    });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.cache.backend).toBe('redis');
    expect(config.audit.backend).toBe('postgres');
    expect(config.audit.postgres.url).toBe('postgres://u@127.0.0.1:5432/db');
    expect(config.keys.store.kind).toBe('postgres');
    expect(config.fallbackTier).toBe('local');
    expect(config.report.monthlyFixedCostsUsd).toEqual({
      vllm: 380,
      redis_postgres: 65,
      observability: 40,
    });
    expect(config.contractsDir).toBe(join(ROOT, 'contracts'));
  });
});
