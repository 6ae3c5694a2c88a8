import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  dropTestSchema,
  queryTestPg,
  TEST_PG_URL,
  testSchemaName,
} from '../src/audit/audit-test-support.js';
import { silentLogger } from '../src/logging/logger.js';
import { startSimulator, type RunningSimulator } from '../src/sim/index.js';
import {
  childConfigYaml,
  spawnGateway,
  writeConfigFile,
  type SpawnedProcess,
} from '../src/test-support/spawn-gateway.js';
import { startTcpProxy, type TcpProxy } from '../src/test-support/tcp-proxy.js';

// These tests run the built CLI (`npm test` builds it first). PostgreSQL is
// "stopped" by closing a proxy in front of it, never the real server.

const CONCURRENCY = 10;

let sim: RunningSimulator;
const gateways: SpawnedProcess[] = [];
const proxies: TcpProxy[] = [];
const schemas: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ logger: silentLogger() });
});

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop({ signal: 'SIGKILL' })));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

afterAll(async () => {
  await sim.close();
  for (const schema of schemas.splice(0)) await dropTestSchema(schema);
});

interface Answer {
  /** 0 when no answer came. */
  status: number;
  requestId: string | null;
  error?: string;
}

/** `count` classification requests, each with a prompt of its own, `CONCURRENCY` at a time. */
async function sendLoad(url: string, options: { count: number; label: string }): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  async function worker() {
    // Bounded: each pass takes one of `count` requests.
    while (next < options.count) {
      const index = next++;
      try {
        const response = await fetch(`${url}/v1/route`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            task_type: 'classification',
            prompt: `Review ${options.label}-${index}: the parcel came late.`,
            contract: 'classification',
          }),
        });
        await response.arrayBuffer();
        answers.push({ status: response.status, requestId: response.headers.get('x-request-id') });
      } catch (error) {
        // No answer: counted, so the test can say which requests failed and why.
        const cause = (error as { cause?: unknown }).cause;
        answers.push({ status: 0, requestId: null, error: String(cause ?? error) });
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  return answers;
}

/** Waits, `timeoutMs` at most, for the child to log a line with this message. */
async function untilLogged(
  gateway: SpawnedProcess,
  options: { msg: string; timeoutMs: number },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (gateway.logs.some((line) => line.msg.startsWith(options.msg))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function pgUrlVia(port: number): string {
  const url = new URL(TEST_PG_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

describe('the audit log across a PostgreSQL outage', { timeout: 120_000 }, () => {
  it('writes exactly one row per answered request after PostgreSQL went away and came back', async () => {
    const target = new URL(TEST_PG_URL);
    const proxy = await startTcpProxy({
      targetHost: target.hostname,
      targetPort: Number(target.port || 5432),
    });
    proxies.push(proxy);
    const schema = testSchemaName();
    schemas.push(schema);
    const configPath = writeConfigFile(
      childConfigYaml(
        sim.url,
        `
cache: { enabled: false }
audit:
  backend: postgres
  postgres:
    url: "${pgUrlVia(proxy.port)}"
    schema: ${schema}
    connect_timeout_ms: 1000
    statement_timeout_ms: 5000
  flush_interval_ms: 100
  batch_size: 25
  close_timeout_ms: 30000
`,
      ),
    );
    const gateway = await spawnGateway({ configPath });
    gateways.push(gateway);

    const before = await sendLoad(gateway.url, { count: 100, label: 'before' });
    await proxy.stop();
    const during = await sendLoad(gateway.url, { count: 100, label: 'during' });
    // The outage must really have been seen by the writer, or the test proves nothing.
    expect(await untilLogged(gateway, { msg: 'audit: sink write failed', timeoutMs: 10_000 })).toBe(
      true,
    );
    await proxy.start();
    const after = await sendLoad(gateway.url, { count: 100, label: 'after' });

    const exit = await gateway.stop({ signal: 'SIGTERM', timeoutMs: 40_000 });
    expect(exit).toEqual({ code: 0, signal: null });

    const answers = [...before, ...during, ...after];
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    const answeredIds = answers.map((answer) => answer.requestId);
    expect(new Set(answeredIds).size).toBe(300);

    const rows = await queryTestPg<{ request_id: string; copies: string }>(
      `SELECT request_id, count(*) AS copies FROM "${schema}".requests GROUP BY request_id`,
    );
    const copies = new Map(rows.map((row) => [row.request_id, Number(row.copies)]));
    expect(answeredIds.filter((id) => copies.get(id!) !== 1)).toEqual([]);
    expect(rows).toHaveLength(300);
    expect(gateway.logs.some((line) => line.msg === 'audit: sink is writable again')).toBe(true);
  });
});

/** Copies of each request id in a SQLite audit database, read while or after the gateway ran. */
function sqliteCopies(path: string): Map<string, number> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT request_id, count(*) AS copies FROM requests GROUP BY request_id')
      .all() as { request_id: string; copies: number }[];
    return new Map(rows.map((row) => [row.request_id, row.copies]));
  } finally {
    db.close();
  }
}

/** A gateway auditing to a fresh SQLite file that it writes only at shutdown. */
async function gatewayWithQuietSqliteAudit(): Promise<{ gateway: SpawnedProcess; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'switchyard-audit-')), 'audit.db');
  const configPath = writeConfigFile(
    childConfigYaml(
      sim.url,
      `
cache: { enabled: false }
audit:
  backend: sqlite
  sqlite: { path: "${path}" }
  flush_interval_ms: 3600000
  batch_size: 5000
`,
    ),
  );
  const gateway = await spawnGateway({ configPath });
  gateways.push(gateway);
  return { gateway, path };
}

describe('the SQLite audit log at shutdown', { timeout: 60_000 }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`writes every record still queued when ${signal} arrives`, async () => {
      const { gateway, path } = await gatewayWithQuietSqliteAudit();
      const answers = await sendLoad(gateway.url, { count: 60, label: signal });
      expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
      // The flush timer is an hour and a batch 5000: nothing is written before the signal.
      expect(sqliteCopies(path).size).toBe(0);

      expect(await gateway.stop({ signal })).toEqual({ code: 0, signal: null });

      const copies = sqliteCopies(path);
      expect(answers.filter((answer) => copies.get(answer.requestId!) !== 1)).toEqual([]);
      expect(copies.size).toBe(60);
    });
  }
});
