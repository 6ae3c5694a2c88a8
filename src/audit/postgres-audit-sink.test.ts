import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import {
  dropTestSchema,
  queryTestPg,
  TEST_PG_URL,
  testAttempt,
  testRecord,
  testRecords,
  testSchemaName,
} from './audit-test-support.js';
import { AuditWriter } from './audit-writer.js';
import { PostgresAuditSink, type PostgresAuditSinkOptions } from './postgres-audit-sink.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

// These tests need the PostgreSQL server on loopback (see TEST_PG_URL).
const schemas: string[] = [];
const closing: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const handle of closing.splice(0)) await handle.close();
});
afterAll(async () => {
  for (const schema of schemas) await dropTestSchema(schema);
});

function newSchema(): string {
  const schema = testSchemaName();
  schemas.push(schema);
  return schema;
}

function sinkFor(
  schema: string,
  options: Partial<Omit<PostgresAuditSinkOptions, 'schema'>> = {},
): PostgresAuditSink {
  const sink = new PostgresAuditSink({
    url: TEST_PG_URL,
    schema,
    logger: silentLogger(),
    now: () => Date.UTC(2031, 10, 15),
    connectTimeoutMs: 2000,
    ...options,
  });
  closing.push(sink);
  return sink;
}

async function partitionsOf(schema: string): Promise<string[]> {
  const rows = await queryTestPg<{ name: string }>(
    `SELECT child.relname AS name
       FROM pg_inherits i
       JOIN pg_class parent ON parent.oid = i.inhparent
       JOIN pg_class child ON child.oid = i.inhrelid
       JOIN pg_namespace ns ON ns.oid = parent.relnamespace
      WHERE ns.nspname = $1 AND parent.relname = 'requests' AND child.relkind = 'r'
      ORDER BY 1`,
    [schema],
  );
  return rows.map((row) => row.name);
}

async function counts(schema: string): Promise<{ rows: number; distinct: number }> {
  const [row] = await queryTestPg<{ rows: string; distinct: string }>(
    `SELECT count(*) AS rows, count(DISTINCT request_id) AS distinct FROM "${schema}".requests`,
  );
  return { rows: Number(row!.rows), distinct: Number(row!.distinct) };
}

/** A TCP relay on loopback in front of the real server, to take "PostgreSQL" down and up. */
class TcpProxy {
  readonly port: number;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #target: { host: string; port: number };

  private constructor(port: number, target: { host: string; port: number }) {
    this.port = port;
    this.#target = target;
  }

  /** A proxy on a free loopback port, down (nothing listens there) until `up`. */
  static async reserve(target: { host: string; port: number }): Promise<TcpProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return new TcpProxy(port, target);
  }

  get url(): string {
    const url = new URL(TEST_PG_URL);
    url.host = `127.0.0.1:${this.port}`;
    return url.toString();
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target.port, this.#target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.#server = server;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

let reachable = true;
beforeAll(async () => {
  try {
    await queryTestPg('SELECT 1');
  } catch {
    reachable = false;
  }
});

describe('PostgresAuditSink', () => {
  it('finds the test PostgreSQL server', () => {
    // Every test below needs it; this one says so plainly when it is down.
    expect(reachable).toBe(true);
  });

  it('runs each migration once across repeated and concurrent starts', async () => {
    const schema = newSchema();
    await Promise.all([sinkFor(schema).migrate(), sinkFor(schema).migrate()]);
    await sinkFor(schema).migrate();
    const rows = await queryTestPg<{ version: number; name: string }>(
      `SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(rows).toEqual(POSTGRES_MIGRATIONS.map(({ version, name }) => ({ version, name })));
  });

  it('makes requests a table partitioned by range on request_time', async () => {
    const schema = newSchema();
    await sinkFor(schema).migrate();
    const [row] = await queryTestPg<{ strategy: string; key: string }>(
      `SELECT p.partstrat AS strategy, pg_get_partkeydef(c.oid) AS key
         FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
         JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE ns.nspname = $1 AND c.relname = 'requests'`,
      [schema],
    );
    expect(row).toEqual({ strategy: 'r', key: 'RANGE (request_time)' });
  });

  it('creates partitions for the current month and the next two, across a year end', async () => {
    const schema = newSchema();
    await sinkFor(schema).migrate();
    expect(await partitionsOf(schema)).toEqual([
      'requests_2031_11',
      'requests_2031_12',
      'requests_2032_01',
    ]);
    const [bound] = await queryTestPg<{ bound: string }>(
      `SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_class c
         JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE ns.nspname = $1 AND c.relname = 'requests_2031_12'`,
      [schema],
    );
    // Session time zone aside, the bounds are the UTC month's first instants.
    const [utc] = await queryTestPg<{ from: string; to: string }>(
      `SELECT to_char(lower_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS from,
              to_char(upper_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS to
         FROM (SELECT (regexp_match($1, 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz AS lower_ts,
                      (regexp_match($1, 'TO \\(''([^'']+)''\\)'))[1]::timestamptz AS upper_ts) b`,
      [bound!.bound],
    );
    expect(utc).toEqual({ from: '2031-12-01 00:00', to: '2032-01-01 00:00' });
  });

  it('creates the partition of a month a write reaches without one', async () => {
    const schema = newSchema();
    const sink = sinkFor(schema, { partitionsAhead: 0 });
    await sink.migrate();
    expect(await partitionsOf(schema)).toEqual(['requests_2031_11']);
    await sink.write([
      testRecord({ requestId: 'req_old', timeMs: Date.UTC(2030, 2, 31, 23, 59, 59, 999) }),
      testRecord({ requestId: 'req_future', timeMs: Date.UTC(2033, 5, 1) }),
    ]);
    expect(await partitionsOf(schema)).toEqual([
      'requests_2030_03',
      'requests_2031_11',
      'requests_2033_06',
    ]);
    const rows = await queryTestPg<{ id: string }>(
      `SELECT request_id AS id FROM "${schema}".requests_2030_03`,
    );
    expect(rows).toEqual([{ id: 'req_old' }]);
  });

  it('migrates on its first write and stores the record as written', async () => {
    const schema = newSchema();
    const sink = sinkFor(schema);
    const record = testRecord({
      requestId: 'req_typed',
      timeMs: Date.UTC(2031, 10, 3, 8, 0, 0, 123),
      costUsd: 0.0000126,
      metadata: { team: 'ops' },
      attempts: [
        testAttempt({ outcome: 'rate_limited', tokens: null, costUsd: 0, upstreamStatus: 429 }),
        testAttempt({ costUsd: 0.0000126 }),
      ],
    });
    await sink.write([record]);
    const [row] = await queryTestPg<Record<string, unknown>>(
      `SELECT (extract(epoch FROM request_time) * 1000)::bigint AS time_ms, cost_usd::text,
              attempt_count, fallback, schema_valid, metadata, attempts->0 AS first_attempt,
              prompt IS NULL AS no_prompt
         FROM "${schema}".requests`,
    );
    expect(row).toEqual({
      time_ms: String(Date.UTC(2031, 10, 3, 8, 0, 0, 123)),
      cost_usd: '0.0000126000',
      attempt_count: 2,
      fallback: true,
      schema_valid: true,
      metadata: { team: 'ops' },
      first_attempt: {
        tier: 'cheap',
        model: 'gpt-4o-mini-2024-07-18',
        deployment_id: 'cheap/openai/gpt-4o-mini-2024-07-18',
        outcome: 'rate_limited',
        latency_ms: 10,
        cost_usd: 0,
        cost_estimated: false,
        input_tokens: null,
        cached_input_tokens: null,
        cache_write_tokens: null,
        output_tokens: null,
        reasoning_tokens: null,
        upstream_status: 429,
      },
      no_prompt: true,
    });
  });

  it('adds no row when a batch that already landed is written again', async () => {
    const schema = newSchema();
    const sink = sinkFor(schema);
    const batch = testRecords(15);
    await sink.write(batch.slice(0, 10));
    await sink.write(batch);
    expect(await counts(schema)).toEqual({ rows: 15, distinct: 15 });
  });

  it('writes exactly N rows after N records were enqueued while PostgreSQL was down', async () => {
    const schema = newSchema();
    const target = new URL(TEST_PG_URL);
    const proxy = await TcpProxy.reserve({
      host: target.hostname,
      port: Number(target.port || 5432),
    });
    closing.push(proxy);
    const writer = await AuditWriter.open({
      sink: new PostgresAuditSink({
        url: proxy.url,
        schema,
        logger: silentLogger(),
        connectTimeoutMs: 2000,
      }),
      logger: silentLogger(),
      flushIntervalMs: 0,
      batchSize: 200,
    });
    closing.push(writer);
    const records = testRecords(500, 'outage');
    for (const record of records) writer.enqueue(record);

    expect(await writer.flush()).toEqual({ written: 0, pending: 500 });
    expect(writer.stats().failedWrites).toBeGreaterThanOrEqual(1);

    // Part of the load landed already (as a batch whose acknowledgement was lost would).
    await sinkFor(schema).write(records.slice(100, 250));
    await proxy.up();
    expect(await writer.flush()).toEqual({ written: 500, pending: 0 });
    expect(await counts(schema)).toEqual({ rows: 500, distinct: 500 });
    expect(writer.stats()).toMatchObject({ dropped: 0, consecutiveFailures: 0 });
  });
});
