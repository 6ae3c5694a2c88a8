import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import type { AttemptResult, CompletionRequest, ProviderClient } from '../providers/types.js';
import { REPO_ROOT, simConfigYaml } from '../test-support/gateway-harness.js';
import { systemClock } from '../util/clock.js';
import { RouteEngine } from './route-engine.js';

const CHEAP = 'gpt-4o-mini-2024-07-18';
const MID = 'gpt-4o-2024-08-06';

describe('the attempt observer of a job', () => {
  it('hears each admitted attempt start before its call and end after it', async () => {
    const { config } = parseConfig(simConfigYaml('http://127.0.0.1:9'), {
      env: {},
      baseDir: REPO_ROOT,
      source: 'test',
    });
    const events: string[] = [];
    // The first call (cheap) answers 500; the retry, which goes to the next
    // deployment (mid), answers.
    let calls = 0;
    const provider: ProviderClient = {
      kind: 'openai',
      async complete(request: CompletionRequest): Promise<AttemptResult> {
        events.push(`call ${request.model}`);
        if (++calls === 1) {
          return {
            kind: 'failure',
            reason: 'server_error',
            retryable: true,
            message: 'no',
            status: 500,
            headers: {},
            latencyMs: 1,
          };
        }
        return {
          kind: 'completion',
          text: 'hello',
          finishReason: 'stop',
          usage: null,
          headers: {},
          latencyMs: 1,
        };
      },
    };
    const engine = new RouteEngine({
      config: { ...config, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } },
      providers: new Map([['openai', provider]]),
      clock: systemClock,
    });
    const result = await engine.route({
      requestId: 'r1',
      taskType: 'classification',
      plan: { startTier: 'cheap' },
      messages: [{ role: 'user', content: 'hi' }],
      maxCostUsd: 1,
      maxTokens: 16,
      signal: new AbortController().signal,
      attemptObserver: {
        attemptStarted: (id) => events.push(`start ${id}`),
        attemptEnded: (id) => events.push(`end ${id}`),
      },
    });

    expect(result.ok).toBe(true);
    expect(events).toEqual([
      `start cheap/openai/${CHEAP}`,
      `call ${CHEAP}`,
      `end cheap/openai/${CHEAP}`,
      `start mid/openai/${MID}`,
      `call ${MID}`,
      `end mid/openai/${MID}`,
    ]);
  });
});
