import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../logging/logger.js';
import type { AttemptRecord } from '../routing/attempt.js';
import type { RequestFacts } from '../telemetry/request-facts.js';
import { resolvePolicyConfig } from './policy-config.js';
import type { PolicyChange } from './policy-change.js';
import { PolicyEngine } from './policy-engine.js';
import { policiesHandler, resumePoliciesHandler, type HttpHandler } from './policy-handlers.js';
import { WebhookNotifier } from './webhook-notifier.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(handler: (req: IncomingMessage, body: string) => [number, string]) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const [status, text] = handler(req, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function mount(routes: Record<string, HttpHandler>): Promise<string> {
  const server = createServer((req, res) => {
    const handler = routes[`${req.method} ${req.url}`];
    if (handler) void handler(req, res);
    else res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const invalid: AttemptRecord = {
  tier: 'cheap',
  model: 'm',
  deploymentId: 'cheap/openai/m',
  outcome: 'schema_invalid',
  latencyMs: 5,
  costUsd: 0,
  costEstimated: false,
  usage: null,
};

function failing(): RequestFacts {
  return {
    requestId: 'r',
    taskType: 'classification',
    endpoint: 'route',
    tier: 'cheap',
    model: 'm',
    outcome: 'schema_violation',
    latencyMs: 5,
    upstreamMs: 5,
    overheadMs: 0,
    costUsd: 0,
    cacheHit: undefined,
    fallback: false,
    repaired: false,
    hasContract: true,
    attempts: [invalid],
  };
}

function pausingEngine(webhookUrl?: string) {
  return new PolicyEngine({
    tierOrder: ['cheap', 'mid'],
    config: resolvePolicyConfig({
      schema: { min_samples: 1 },
      ...(webhookUrl ? { webhook_url: webhookUrl } : {}),
    }),
    now: () => 1_700_000_000_000,
  });
}

describe('policy webhook', () => {
  it('posts each change as a Slack-compatible {text} message', async () => {
    const received: Array<{ type: string | undefined; body: unknown }> = [];
    const url = await listen((req, body) => {
      received.push({ type: req.headers['content-type'], body: JSON.parse(body) });
      return [200, 'ok'];
    });
    const engine = pausingEngine(url);
    engine.observe(failing());
    await engine.flush();

    expect(received).toEqual([
      {
        type: 'application/json',
        body: {
          text:
            'Switchyard schema_pause on m: model paused: too many answers fail their schema. ' +
            '1 of 1 answers in the last 15 min failed their schema (100.0%, limit 2.0%); ' +
            'other deployments serve until a probe succeeds or an operator resumes it.',
        },
      },
    ]);
  });

  it('logs, and does not throw, when the webhook answers 500 or is not there', async () => {
    const url = await listen(() => [500, 'no']);
    const lines: Array<{ msg: string; status?: number }> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logger = createLogger({ level: 'warn', destination });
    const change: PolicyChange = {
      policy: 'schema_pause',
      action: 'activated',
      subject: 'm',
      reason: 'r',
      atMs: 0,
      details: {},
    };
    const refused = new WebhookNotifier({ url, logger });
    const down = new WebhookNotifier({ url: 'http://127.0.0.1:1/hook', logger });
    refused.notify(change);
    down.notify(change);
    await Promise.all([refused.flush(), down.flush()]);

    expect(lines.map((l) => [l.msg, l.status]).sort()).toEqual([
      ['policy webhook failed', undefined],
      ['policy webhook refused', 500],
    ]);
  });
});

describe('GET /admin/policies and POST /admin/policies/resume', () => {
  it('lists a paused model and resumes it for an operator', async () => {
    const engine = pausingEngine();
    engine.observe(failing());
    const base = await mount({
      'GET /admin/policies': policiesHandler(engine),
      'POST /admin/policies/resume': resumePoliciesHandler(engine),
    });

    const listing = (await (await fetch(`${base}/admin/policies`)).json()) as {
      schema: { models: Array<{ model: string; paused: boolean }> };
    };
    expect(listing.schema.models).toMatchObject([{ model: 'm', paused: true }]);

    const resume = await fetch(`${base}/admin/policies/resume`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm' }),
    });
    expect(resume.status).toBe(200);
    expect(await resume.json()).toMatchObject({
      resumed: [{ policy: 'schema_pause', action: 'cleared', subject: 'm' }],
    });
    expect(engine.isPaused('m')).toBe(false);

    const again = await fetch(`${base}/admin/policies/resume`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm' }),
    });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { error: { message: string } }).error.message).toBe(
      'model "m" is not paused by a policy',
    );
  });

  it('answers 400 naming the field for a body without model or tier', async () => {
    const base = await mount({ 'POST /r': resumePoliciesHandler(pausingEngine()) });
    const response = await fetch(`${base}/r`, { method: 'POST', body: '{"models":"m"}' });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'models: is not a known field',
    );
  });

  it('answers 403 when the guard refuses the caller', async () => {
    const base = await mount({
      'GET /admin/policies': policiesHandler(pausingEngine(), { authorize: () => false }),
    });
    const response = await fetch(`${base}/admin/policies`);

    expect(response.status).toBe(403);
  });
});
