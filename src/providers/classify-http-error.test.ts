import { describe, expect, it } from 'vitest';
import {
  classifyHttpError,
  parseErrorBody,
  redactUpstreamMessage,
  registerProviderKey,
} from './classify-http-error.js';

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

  it('lose a configured key of any shape, in any encoding or in pieces', () => {
    const key = 'vllm-Secret-Token-5f3a9c2e7b1d';
    registerProviderKey(key);
    const bytes = Buffer.from(key);
    const quoted = [
      key,
      key.toUpperCase(),
      encodeURIComponent(`k=${key}`),
      [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
      bytes.toString('hex'),
      Buffer.from(`user:${key}`).toString('base64'),
      Buffer.from(`x${key}`).toString('base64url'),
      'vllm-Secret- Token-5f3a9c2e7b1d',
      key.slice(-10),
    ];
    for (const form of quoted) {
      const redacted = redactUpstreamMessage(`bad key ${form} here`);
      expect(redacted, form).toContain('[redacted');
      expect(redacted.toLowerCase(), form).not.toContain('5f3a9c2e');
      expect(redacted.toLowerCase(), form).not.toContain('secret-token');
    }
    expect(redactUpstreamMessage('The model is overloaded, try again')).toBe(
      'The model is overloaded, try again',
    );
  });

  it('lose organisation and project ids, not words that start like them', () => {
    expect(
      redactUpstreamMessage('billing for proj_AbC123dEf456gHi789 under org-XyZ12345678 is paused'),
    ).toBe('billing for [redacted proj] under [redacted org] is paused');
    expect(redactUpstreamMessage('Our org-wide policy and proj-level quota forbid this')).toBe(
      'Our org-wide policy and proj-level quota forbid this',
    );
  });

  it('lose a key with + / = in it whole, not only its first part', () => {
    expect(redactUpstreamMessage('Invalid key sk-proj-Ab1+Cd2/Ef3=Gh4_xyz done')).toBe(
      'Invalid key [redacted key] done',
    );
  });

  it('keep the first 2,000 characters of a very long message', () => {
    const redacted = redactUpstreamMessage(`${'overloaded '.repeat(50_000)}sk-LATEKEY123456`);
    expect(redacted).toHaveLength(2001);
    expect(redacted.endsWith('…')).toBe(true);
  });
});

describe('upstream error bodies', () => {
  const answer = (status: number, body: unknown, contentType = 'application/json') => {
    const raw = {
      status,
      latencyMs: 1,
      headers: { 'content-type': contentType },
      text: typeof body === 'string' ? body : JSON.stringify(body),
    };
    return classifyHttpError(raw, parseErrorBody(raw));
  };

  it('read the shapes of OpenAI, vLLM, Ollama and FastAPI servers', () => {
    const vllm = {
      object: 'error',
      message: "This model's maximum context length is 4096 tokens.",
      type: 'BadRequestError',
      param: null,
      code: 400,
    };
    expect(answer(400, vllm)).toMatchObject({
      reason: 'context_length',
      retryable: false,
      message: "This model's maximum context length is 4096 tokens.",
    });
    expect(answer(404, { error: "model 'llama3' not found" })).toMatchObject({
      reason: 'not_found',
      retryable: false,
      message: "model 'llama3' not found",
    });
    expect(answer(401, { detail: 'Invalid bearer token' })).toMatchObject({
      reason: 'auth',
      message: 'Invalid bearer token',
    });
    expect(
      answer(429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate' } }),
    ).toMatchObject({ reason: 'rate_limited', retryable: true, message: 'Rate limit reached' });
  });

  it('classify JSON without a message by its status, and only a non-JSON body as bad', () => {
    expect(answer(400, { detail: [{ loc: ['body'], msg: 'field required' }] })).toMatchObject({
      reason: 'invalid_request',
      retryable: false,
      message: 'upstream answered 400 with no error message',
    });
    expect(answer(400, '<html>Bad gateway</html>', 'text/html')).toMatchObject({
      reason: 'bad_response',
      retryable: true,
      message: 'upstream answered 400 with a body that is not JSON',
    });
    expect(answer(400, 'plain words', 'text/plain')).toMatchObject({ reason: 'bad_response' });
  });
});
