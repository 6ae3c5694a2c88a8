import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../test-support/gateway-harness.js';

const CLASSIFY = {
  task_type: 'classification',
  prompt: 'The parcel arrived broken.',
  contract: 'classification',
};

interface AuditRow {
  request_id: string;
  endpoint: string;
  status_code: number;
  task_type: string | null;
  model: string | null;
  cost_usd: number;
  cache_hit: number;
  attempt_count: number;
  error_type: string | null;
  schema_valid: number | null;
}

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function auditYaml(dbPath: string, extra = ''): string {
  return `
cache: { enabled: true, ttl_ms: 60000 }
audit: { sqlite: { path: ${dbPath} }, flush_interval_ms: 20 }
${extra}`;
}

function readAudit(dbPath: string): AuditRow[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM requests ORDER BY time_ms, request_id').all() as AuditRow[];
  } finally {
    db.close();
  }
}

describe('the request pipeline around the engine', () => {
  it('answers an identical request from the cache at no cost, and audits both', async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), 'switchyard-pipeline-')), 'audit.db');
    harness = await startHarness({ extraYaml: auditYaml(dbPath) });

    const first = await harness.post('/v1/route', CLASSIFY);
    const firstBody = (await first.json()) as { cost_usd: number; cache_hit: boolean };
    expect(first.status).toBe(200);
    expect(firstBody.cache_hit).toBe(false);
    expect(firstBody.cost_usd).toBeGreaterThan(0);
    expect(first.headers.get('x-switchyard-cache')).toBe('miss');

    const second = await harness.post('/v1/route', CLASSIFY);
    const secondBody = (await second.json()) as {
      cost_usd: number;
      cache_hit: boolean;
      attempts: unknown[];
      payload: unknown;
    };
    expect(second.status).toBe(200);
    expect(secondBody.cache_hit).toBe(true);
    expect(secondBody.cost_usd).toBe(0);
    expect(secondBody.attempts).toEqual([]);
    expect(secondBody.payload).toEqual((firstBody as { payload?: unknown }).payload);
    expect(second.headers.get('x-switchyard-cache')).toBe('hit');
    expect(harness.sim.stats().requests).toBe(1);

    // no-cache skips the lookup (a model answers), no-store skips the write.
    const fresh = await harness.post('/v1/route', CLASSIFY, { 'cache-control': 'no-cache' });
    expect(((await fresh.json()) as { cache_hit: boolean }).cache_hit).toBe(false);
    expect(harness.sim.stats().requests).toBe(2);

    await harness.close();
    harness = undefined;
    const rows = readAudit(dbPath);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.cache_hit)).toEqual([0, 1, 0]);
    expect(rows[1]!.cost_usd).toBe(0);
    expect(rows[1]!.attempt_count).toBe(0);
    expect(rows[0]!.cost_usd).toBe(firstBody.cost_usd);
    expect(rows.every((r) => r.endpoint === '/v1/route' && r.status_code === 200)).toBe(true);
    expect(rows.every((r) => r.schema_valid === 1)).toBe(true);
  });

  it('keeps a different schema, model or max_tokens out of another request’s entry', async () => {
    harness = await startHarness({ extraYaml: 'cache: { enabled: true }' });
    await harness.post('/v1/route', CLASSIFY);
    const otherSchema = await harness.post('/v1/route', {
      task_type: 'classification',
      prompt: CLASSIFY.prompt,
      schema: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } } },
    });
    expect(((await otherSchema.json()) as { cache_hit: boolean }).cache_hit).toBe(false);
    const otherTask = await harness.post('/v1/route', { ...CLASSIFY, task_type: 'reasoning' });
    expect(((await otherTask.json()) as { cache_hit: boolean }).cache_hit).toBe(false);
    expect(harness.sim.stats().requests).toBe(3);
  });

  it('audits refused requests with their status and error type, without a prompt', async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), 'switchyard-pipeline-')), 'audit.db');
    harness = await startHarness({ extraYaml: auditYaml(dbPath) });
    const bad = await harness.post('/v1/route', '{"task_type":');
    expect(bad.status).toBe(400);
    const unknown = await harness.post('/v1/route', { ...CLASSIFY, contract: 'nope' });
    expect(unknown.status).toBe(404);
    const violation = await harness.post('/v1/route', CLASSIFY, {
      'x-sim-scenario': 'missing_field',
    });
    expect(violation.status).toBe(422);

    await harness.close();
    harness = undefined;
    const rows = readAudit(dbPath);
    expect(rows.map((r) => [r.status_code, r.error_type]).sort()).toEqual([
      [400, 'invalid_request'],
      [404, 'not_found'],
      [422, 'schema_violation'],
    ]);
    const violated = rows.find((r) => r.status_code === 422)!;
    expect(violated.schema_valid).toBe(0);
    expect(violated.attempt_count).toBe(2);
    expect(violated.cost_usd).toBeGreaterThan(0);
  });

  it('counts requests, costs and validation results in /metrics', async () => {
    harness = await startHarness();
    await harness.post('/v1/route', CLASSIFY);
    await harness.post('/v1/route', CLASSIFY, { 'x-sim-scenario': 'fenced_json' });
    const text = await (await fetch(`${harness.gateway.url}/metrics`)).text();
    const line = (name: string, status: string) =>
      text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`status="${status}"`));
    expect(line('ai_schema_validation_result_total', 'valid')).toMatch(/ 1$/);
    expect(line('ai_schema_validation_result_total', 'repaired')).toMatch(/ 1$/);
    const count = text
      .split('\n')
      .filter((l) => l.startsWith('ai_request_latency_ms_count{'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    expect(count).toBe(2);
  });

  it('labels a task type the configuration does not name as other in /metrics', async () => {
    harness = await startHarness();
    const minted = 'minted_task_type_4f1c9e';
    const answer = await harness.post('/v1/route', { ...CLASSIFY, task_type: minted });
    expect(answer.status).toBe(200);
    const text = await (await fetch(`${harness.gateway.url}/metrics`)).text();
    expect(text).not.toContain(minted);
    expect(text).toMatch(/ai_request_latency_ms_count\{[^}]*task_type="other"/);
  });

  it('treats Object member names as unknown task types and models', async () => {
    harness = await startHarness();
    const routed = await harness.post('/v1/route', { ...CLASSIFY, task_type: 'constructor' });
    expect(routed.status).toBe(200);
    expect(((await routed.json()) as { tier: string }).tier).toBe('mid');
    const chat = await harness.post('/v1/chat/completions', {
      model: 'toString',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(chat.status).toBe(404);
  });

  it('shows the policies at /admin/policies', async () => {
    harness = await startHarness();
    const response = await fetch(`${harness.gateway.url}/admin/policies`);
    const body = (await response.json()) as { latency: { enabled: boolean; taskTypes: string[] } };
    expect(response.status).toBe(200);
    expect(body.latency.enabled).toBe(true);
    expect(body.latency.taskTypes).toEqual([]);
  });
});
