import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { redactFields } from './redact-fields.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

describe('log redaction', () => {
  it('censors keys, authorization headers and prompt text at any of three levels', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        apiKey: 'sk-top',
        prompt: 'my secret prompt',
        request: {
          headers: { authorization: 'Bearer sk-client', 'x-api-key': 'sk-ant', accept: '*/*' },
          messages: [{ role: 'user', content: 'private' }],
        },
        providers: [{ name: 'openai', apiKey: 'sk-provider' }],
        model: 'gpt-4o',
      },
      'hello',
    );
    const line = lines[0]!;
    expect(JSON.stringify(line)).not.toMatch(/sk-|secret prompt|private/);
    expect(line).toMatchObject({
      apiKey: '[redacted]',
      prompt: '[redacted]',
      request: {
        headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', accept: '*/*' },
        messages: '[redacted]',
      },
      providers: [{ name: 'openai', apiKey: '[redacted]' }],
      model: 'gpt-4o',
      msg: 'hello',
    });
  });

  it('leaves the caller’s objects as they were', () => {
    const headers = { authorization: 'Bearer sk-client' };
    const fields = { request: { headers } };
    const redacted = redactFields(fields);
    expect(redacted.request.headers.authorization).toBe('[redacted]');
    expect(headers.authorization).toBe('Bearer sk-client');
  });

  it('returns the same object when nothing is sensitive', () => {
    const fields = { request_id: 'r1', attempts: ['a:success'], nested: { a: { b: 1 } } };
    expect(redactFields(fields)).toBe(fields);
  });
});
