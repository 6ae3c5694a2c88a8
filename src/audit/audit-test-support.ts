import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { AuditAttempt, AuditRecord } from './audit-record.js';
import { sumTokens } from './audit-record.js';

/**
 * Builders and a PostgreSQL scratch schema for the audit and report tests.
 * Not used by the gateway itself.
 */

/** The test PostgreSQL server: loopback, trust auth, database `test`. */
export const TEST_PG_URL =
  process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function testAttempt(overrides: Partial<AuditAttempt> = {}): AuditAttempt {
  return {
    tier: 'cheap',
    model: 'gpt-4o-mini-2024-07-18',
    deploymentId: 'cheap/openai/gpt-4o-mini-2024-07-18',
    outcome: 'success',
    latencyMs: 10,
    costUsd: 0.0001,
    costEstimated: false,
    tokens: {
      inputTokens: 100,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 20,
      reasoningTokens: 0,
    },
    upstreamStatus: null,
    ...overrides,
  };
}

/** A record whose totals (cost, tokens, fallback) follow from its attempts. */
export function testRecord(overrides: Partial<AuditRecord> & { requestId: string }): AuditRecord {
  const attempts = overrides.attempts ?? [testAttempt()];
  const last = attempts[attempts.length - 1];
  return {
    timeMs: Date.UTC(2025, 0, 15, 12),
    apiKeyId: null,
    taskType: 'classification',
    tier: last?.tier ?? null,
    model: last?.model ?? null,
    endpoint: '/v1/route',
    statusCode: 200,
    latencyMs: attempts.reduce((sum, a) => sum + a.latencyMs, 0),
    costUsd: attempts.reduce((sum, a) => sum + a.costUsd, 0),
    tokens: sumTokens(attempts),
    schemaValid: true,
    repaired: false,
    cacheHit: false,
    fallback: attempts.length > 1,
    errorType: null,
    ...overrides,
    attempts,
  };
}

/** `count` distinct records `req_<prefix>_<i>`. */
export function testRecords(count: number, prefix = 'r'): AuditRecord[] {
  return Array.from({ length: count }, (_, i) => testRecord({ requestId: `req_${prefix}_${i}` }));
}

/** A fresh schema name per test run, so parallel runs never meet. */
export function testSchemaName(): string {
  return `audit_test_${randomBytes(5).toString('hex')}`;
}

export async function dropTestSchema(schema: string): Promise<void> {
  if (!/^audit_test_[0-9a-f]+$/.test(schema)) throw new Error(`not a test schema: ${schema}`);
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Runs one query against the test server on a connection of its own. */
export async function queryTestPg<T extends pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
