import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseAuditConfig, type AuditConfig } from '../audit/audit-config.js';
import type { AuditRecord } from '../audit/audit-record.js';
import {
  dropTestSchema,
  TEST_PG_URL,
  testAttempt,
  testRecord,
  testSchemaName,
} from '../audit/audit-test-support.js';
import { PostgresAuditSink } from '../audit/postgres-audit-sink.js';
import { SqliteAuditSink } from '../audit/sqlite-audit-sink.js';
import { parseReportDate, runReportCommand } from '../cli/report-command.js';
import { silentLogger } from '../logging/logger.js';
import type { CostReport } from './cost-report.js';

// The command's tests sit here because src/cli belongs to the CLI's owner.

const CONFIG_YAML = `
providers:
  p: { kind: openai, base_url: 'http://127.0.0.1:1/v1', api_key: test-key }
tiers:
  cheap: [{ provider: p, model: cheap-model }]
  mid: [{ provider: p, model: mid-model }]
  heavy: [{ provider: p, model: heavy-model }]
prices:
  models:
    cheap-model:
      { input_per_million_usd: 1, cached_input_per_million_usd: 0.5, output_per_million_usd: 2 }
    mid-model: { input_per_million_usd: 5, output_per_million_usd: 10 }
    heavy-model:
      { input_per_million_usd: 20, cached_input_per_million_usd: 10, output_per_million_usd: 40 }
`;

const FIXED = { vllm: 380, redis_postgres: 65, observability: 40 };
const day = (d: number, hour = 12) => Date.UTC(2025, 0, d, hour);
const tokens = (
  input: number,
  output: number,
  extra: { cached?: number; reasoning?: number } = {},
) => ({
  inputTokens: input,
  cachedInputTokens: extra.cached ?? 0,
  cacheWriteTokens: 0,
  outputTokens: output,
  reasoningTokens: extra.reasoning ?? 0,
});
const cheap = { tier: 'cheap', model: 'cheap-model', deploymentId: 'cheap/p/cheap-model' };
const mid = { tier: 'mid', model: 'mid-model', deploymentId: 'mid/p/mid-model' };
const heavy = { tier: 'heavy', model: 'heavy-model', deploymentId: 'heavy/p/heavy-model' };

/** Seven requests from 1 to 10 January 2025, and two just outside. */
const SEED: AuditRecord[] = [
  testRecord({
    requestId: 'r1',
    timeMs: day(1, 0),
    attempts: [testAttempt({ ...cheap, costUsd: 0.0012, tokens: tokens(1000, 100) })],
  }),
  testRecord({
    requestId: 'r2',
    timeMs: day(2),
    attempts: [
      testAttempt({ ...cheap, costUsd: 0.0029, tokens: tokens(2000, 200, { cached: 1000 }) }),
    ],
  }),
  testRecord({
    requestId: 'r3',
    timeMs: day(3),
    taskType: 'extraction',
    attempts: [
      testAttempt({
        ...cheap,
        outcome: 'schema_invalid',
        costUsd: 0.0006,
        tokens: tokens(500, 50),
      }),
      testAttempt({ ...mid, costUsd: 0.0036, tokens: tokens(600, 60) }),
    ],
  }),
  testRecord({
    requestId: 'r4',
    timeMs: day(4),
    taskType: 'reasoning',
    attempts: [
      testAttempt({ ...heavy, costUsd: 0.04, tokens: tokens(1000, 500, { reasoning: 300 }) }),
    ],
  }),
  testRecord({ requestId: 'r5', timeMs: day(5), cacheHit: true, attempts: [] }),
  testRecord({
    requestId: 'r6',
    timeMs: day(6),
    taskType: 'extraction',
    attempts: [
      testAttempt({
        ...mid,
        outcome: 'server_error',
        costUsd: 0,
        tokens: null,
        upstreamStatus: 500,
      }),
      // No usage came back: the cost is an estimate and cannot be re-priced.
      testAttempt({ ...heavy, costUsd: 0.01, costEstimated: true, tokens: null }),
    ],
  }),
  testRecord({
    requestId: 'r7',
    timeMs: day(10, 23),
    statusCode: 502,
    errorType: 'upstream_error',
    schemaValid: null,
    attempts: [
      testAttempt({
        ...cheap,
        outcome: 'server_error',
        costUsd: 0,
        tokens: null,
        upstreamStatus: 502,
      }),
    ],
  }),
  testRecord({
    requestId: 'before',
    timeMs: Date.UTC(2024, 11, 31, 23, 59, 59, 999),
    attempts: [testAttempt({ ...cheap, costUsd: 1, tokens: tokens(1, 1) })],
  }),
  testRecord({
    requestId: 'after',
    timeMs: Date.UTC(2025, 0, 11),
    attempts: [testAttempt({ ...cheap, costUsd: 1, tokens: tokens(1, 1) })],
  }),
];

const group = (
  name: string,
  counts: { requests: number; attempts: number },
  t: [number, number, number, number],
  costUsd: number,
) => ({
  name,
  ...counts,
  tokens: {
    input_tokens: t[0],
    cached_input_tokens: t[1],
    cache_write_tokens: 0,
    output_tokens: t[2],
    reasoning_tokens: t[3],
  },
  cost_usd: costUsd,
});

const EXPECTED: Omit<CostReport, 'breakdown'> = {
  period: { from: '2025-01-01T00:00:00.000Z', to: '2025-01-11T00:00:00.000Z', days: 10 },
  totals: {
    requests: 7,
    attempts: 8,
    tokens: {
      input_tokens: 5100,
      cached_input_tokens: 1000,
      cache_write_tokens: 0,
      output_tokens: 910,
      reasoning_tokens: 300,
    },
    cost_usd: 0.0583,
    cost_per_request_usd: 0.0083285714,
    fallback_rate: 0.285714,
    cache_hit_rate: 0.142857,
    error_rate: 0.142857,
  },
  by_tier: [
    group('cheap', { requests: 4, attempts: 4 }, [3500, 1000, 350, 0], 0.0047),
    group('mid', { requests: 2, attempts: 2 }, [600, 0, 60, 0], 0.0036),
    group('heavy', { requests: 2, attempts: 2 }, [1000, 0, 500, 300], 0.05),
  ],
  by_model: [
    group('heavy-model', { requests: 2, attempts: 2 }, [1000, 0, 500, 300], 0.05),
    group('cheap-model', { requests: 4, attempts: 4 }, [3500, 1000, 350, 0], 0.0047),
    group('mid-model', { requests: 2, attempts: 2 }, [600, 0, 60, 0], 0.0036),
  ],
  by_task_type: [
    group('reasoning', { requests: 1, attempts: 1 }, [1000, 0, 500, 300], 0.04),
    group('extraction', { requests: 2, attempts: 4 }, [1100, 0, 110, 0], 0.0142),
    group('classification', { requests: 4, attempts: 3 }, [3000, 1000, 300, 0], 0.0041),
  ],
  // 5100 x $20 + 1000 x $10 + 910 x $40 per million = $0.1484, plus the unpriced $0.01.
  heavy_counterfactual: {
    model: 'heavy-model',
    cost_usd: 0.1584,
    saving_usd: 0.1001,
    saving_rate: 0.631944,
    unpriced_cost_usd: 0.01,
  },
  // 10 days to an average month of 30.4375 days: x 3.04375.
  monthly: {
    scale: 3.04375,
    requests: 21.30625,
    variable_cost_usd: 0.177450625,
    fixed_costs_usd: FIXED,
    fixed_cost_usd: 485,
    total_cost_usd: 485.177450625,
    variable_cost_per_request_usd: 0.0083285714,
    fixed_cost_per_request_usd: 22.7632736873,
    total_cost_per_request_usd: 22.7716022587,
  },
};

let dir: string;
let configPath: string;
let sqliteAudit: AuditConfig;
const pgSchema = testSchemaName();
let pgAudit: AuditConfig;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-report-'));
  configPath = join(dir, 'switchyard.yaml');
  writeFileSync(configPath, CONFIG_YAML);
  sqliteAudit = normaliseAuditConfig({ sqlite: { path: 'audit.db' } }, { baseDir: dir });
  const sqlite = new SqliteAuditSink({ path: sqliteAudit.sqlite.path });
  await sqlite.write(SEED);
  await sqlite.close();

  pgAudit = normaliseAuditConfig(
    { backend: 'postgres', postgres: { url: TEST_PG_URL, schema: pgSchema } },
    { baseDir: dir },
  );
  const pgSink = new PostgresAuditSink({
    url: TEST_PG_URL,
    schema: pgSchema,
    logger: silentLogger(),
    now: () => day(5),
  });
  await pgSink.write(SEED);
  await pgSink.close();
});

afterAll(async () => {
  await dropTestSchema(pgSchema);
});

async function report(args: string[], audit: AuditConfig = sqliteAudit) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  };
  const code = await runReportCommand(args, io, {
    audit,
    report: { monthlyFixedCostsUsd: FIXED },
    cwd: dir,
    env: {},
  });
  return { code, stdout, stderr };
}

const JANUARY = ['--from', '2025-01-01', '--to', '2025-01-10', '--config', 'switchyard.yaml'];

describe('switchyard report', () => {
  it('prints exact totals, splits, saving and amortised costs from SQLite as JSON', async () => {
    const { code, stdout, stderr } = await report([...JANUARY, '--format', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as CostReport;
    const { breakdown, ...rest } = parsed;
    expect(rest).toEqual(EXPECTED);
    expect(breakdown).toEqual([
      { component: 'LLM tokens (period)', cost_usd: 0.0583, notes: '7 requests in 10 days' },
      {
        component: 'LLM tokens (month)',
        cost_usd: 0.177450625,
        notes: 'period x 3.04375 (a month is 30.4375 days)',
      },
      { component: 'vllm', cost_usd: 380, notes: 'fixed, per month' },
      { component: 'redis_postgres', cost_usd: 65, notes: 'fixed, per month' },
      { component: 'observability', cost_usd: 40, notes: 'fixed, per month' },
      { component: 'Fixed costs (month)', cost_usd: 485, notes: '$22.76 per request amortised' },
      { component: 'Total (month)', cost_usd: 485.177450625, notes: 'tokens + fixed' },
      {
        component: 'Total per request',
        cost_usd: 22.7716022587,
        notes: '$0.008329 tokens + $22.76 fixed',
      },
      {
        component: 'All-heavy counterfactual (period)',
        cost_usd: 0.1584,
        notes: "every request's tokens at heavy-model rates",
      },
      { component: 'Saving vs all-heavy (period)', cost_usd: 0.1001, notes: '63.19% of it' },
    ]);
  });

  it('reads the same report from PostgreSQL', async () => {
    const { code, stdout, stderr } = await report([...JANUARY, '--format', 'json'], pgAudit);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { breakdown, ...rest } = JSON.parse(stdout) as CostReport;
    expect(rest).toEqual(EXPECTED);
    expect(breakdown).toHaveLength(10);
  });

  it('treats a timestamp --to as exclusive and a date --to as the whole day', async () => {
    const exclusive = await report([
      ...JANUARY.slice(0, 2),
      '--to',
      '2025-01-11T00:00:00Z',
      '--format',
      'json',
    ]);
    expect((JSON.parse(exclusive.stdout) as CostReport).totals.requests).toBe(7);
    const wider = await report(['--from', '2024-12-31', '--to', '2025-01-11', '--format', 'json']);
    expect((JSON.parse(wider.stdout) as CostReport).totals.requests).toBe(9);
  });

  it('renders the table with the cost breakdown', async () => {
    const { code, stdout } = await report(JANUARY);
    expect(code).toBe(0);
    const lines = stdout.split('\n').map((line) => line.replace(/ +/g, ' '));
    expect(lines).toContain('| Component | Cost | Notes |');
    expect(lines).toContain('| vllm | $380.00 | fixed, per month |');
    expect(lines).toContain('| Fixed costs (month) | $485.00 | $22.76 per request amortised |');
    expect(lines).toContain('| Total (month) | $485.18 | tokens + fixed |');
    expect(lines).toContain('| cheap | 4 | 4 | 3500 | 1000 | 0 | 350 | 0 | $0.0047 |');
    expect(lines).toContain(
      'Requests 7, attempts 8, cost $0.0583; fallback rate 28.57%, cache-hit rate 14.29%, ' +
        'error rate 14.29%',
    );
    expect(lines).toContain(
      'All requests on heavy-model would have cost $0.1584: saving $0.1001 (63.19%)',
    );
  });

  it('renders CSV with a row per tier, model and task type, rates and breakdown', async () => {
    const { code, stdout } = await report([...JANUARY, '--format', 'csv']);
    expect(code).toBe(0);
    const rows = stdout.trimEnd().split('\n');
    expect(rows[0]).toBe(
      'section,name,requests,attempts,input_tokens,cached_input_tokens,cache_write_tokens,' +
        'output_tokens,reasoning_tokens,cost_usd,value,notes',
    );
    expect(rows).toContain('total,all,7,8,5100,1000,0,910,300,0.0583,,');
    expect(rows).toContain('tier,cheap,4,4,3500,1000,0,350,0,0.0047,,');
    expect(rows).toContain('model,heavy-model,2,2,1000,0,0,500,300,0.05,,');
    expect(rows).toContain('task_type,extraction,2,4,1100,0,0,110,0,0.0142,,');
    expect(rows).toContain('rate,fallback_rate,,,,,,,,,0.285714,');
    expect(rows).toContain('cost,vllm,,,,,,,,380,,"fixed, per month"');
    expect(rows).toHaveLength(1 + 1 + 3 + 3 + 3 + 4 + 10);
  });

  it('exits 2 naming the problem when the arguments are wrong', async () => {
    const missing = await report(['--from', '2025-01-01']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--from and --to are required');
    const format = await report([...JANUARY, '--format', 'xml']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format must be table, json or csv, got "xml"');
    const backwards = await report(['--from', '2025-02-01', '--to', '2025-01-01']);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--to must be after --from');
    const date = await report(['--from', '2025-02-30', '--to', '2025-03-01']);
    expect(date.stderr).toContain('--from: not a date: "2025-02-30"');
  });

  it('exits 2 for an invalid configuration file', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'providers: {}\ntiers: {}\n');
    const { code, stderr } = await report([...JANUARY.slice(0, 4), '--config', 'bad.yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain('switchyard: invalid configuration: providers');
  });

  it('exits 1 when there is no audit log to read', async () => {
    const none = normaliseAuditConfig({ sqlite: { path: 'missing.db' } }, { baseDir: dir });
    const { code, stderr } = await report(JANUARY, none);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `switchyard: cannot read the audit log: no audit log at ${join(dir, 'missing.db')} ` +
        '(audit.sqlite.path)\n',
    );
  });
});

describe('parseReportDate', () => {
  it('reads a day as UTC and an RFC 3339 timestamp as written', () => {
    expect(parseReportDate('2025-03-31', { end: false })).toBe(Date.UTC(2025, 2, 31));
    expect(parseReportDate('2025-03-31', { end: true })).toBe(Date.UTC(2025, 3, 1));
    expect(parseReportDate('2025-03-31T12:00:00+02:00', { end: true })).toBe(
      Date.UTC(2025, 2, 31, 10),
    );
    expect(parseReportDate('31/03/2025', { end: false })).toBeUndefined();
  });
});
