import { describe, expect, it } from 'vitest';
import { parseErrorBody, redactUpstreamMessage } from './classify-http-error.js';

describe('upstream error messages', () => {
  it('lose key fragments and organisation ids before they reach a caller', () => {
    const body = parseErrorBody({
      status: 401,
      latencyMs: 1,
      headers: { 'content-type': 'application/json' },
      text: JSON.stringify({
        error: {
          message: 'Incorrect API key provided: sk-LEAKC********6789. full=sk-LEAKCHECK-0123456789',
          type: 'invalid_request_error',
        },
      }),
    });
    expect(body?.message).toBe('Incorrect API key provided: [redacted key]. full=[redacted key]');
    expect(
      redactUpstreamMessage('Rate limit reached in organization org-Abc123xyz on tokens'),
    ).toBe('Rate limit reached in organization [redacted org] on tokens');
    expect(redactUpstreamMessage('Authorization: Bearer abcdefgh12345678')).toBe(
      'Authorization: Bearer [redacted]',
    );
    expect(redactUpstreamMessage('context length exceeded')).toBe('context length exceeded');
  });

  it('lose a key quoted upper-cased or inside base64, and keep other base64', () => {
    const key = 'sk-proj-MOCKSECRET0123456789abcdefXYZ';
    const basic = Buffer.from(`user:${key}`).toString('base64');
    expect(redactUpstreamMessage(`upper ${key.toUpperCase()} and basic ${basic}`)).toBe(
      'upper [redacted key] and basic [redacted]',
    );
    const harmless = Buffer.from('just some bytes, nothing secret here').toString('base64');
    expect(redactUpstreamMessage(`blob ${harmless}`)).toBe(`blob ${harmless}`);
  });
});
