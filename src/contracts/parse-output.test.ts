import { describe, expect, it } from 'vitest';
import { parseOutput } from './parse-output.js';

describe('parseOutput', () => {
  it('parses clean JSON without marking it repaired', () => {
    expect(parseOutput('{"label":"positive"}')).toEqual({
      ok: true,
      value: { label: 'positive' },
      repaired: false,
    });
  });

  it('strips a markdown fence that wraps the whole message and marks it repaired', () => {
    const text = '```json\n{"label": "negative", "confidence": 0.8}\n```';
    expect(parseOutput(text)).toEqual({
      ok: true,
      value: { label: 'negative', confidence: 0.8 },
      repaired: true,
    });
  });

  it('leaves a fence inside prose to the repair step rather than cutting text out', () => {
    const result = parseOutput('Here you go:\n```json\n{"a": 1}\n```\nanything else?');
    // Not silently cut down to {"a":1}: jsonrepair keeps the prose, and the
    // contract then rejects the array it makes.
    expect(result).toEqual({
      ok: true,
      value: ['Here you go:', { a: 1 }, '', '\nanything else?'],
      repaired: true,
    });
  });

  it('repairs trailing commas with jsonrepair', () => {
    expect(parseOutput('{"items": [1, 2, 3,], "done": true,}')).toEqual({
      ok: true,
      value: { items: [1, 2, 3], done: true },
      repaired: true,
    });
  });

  it('fails on empty output', () => {
    expect(parseOutput('   ')).toEqual({ ok: false, message: 'the model returned no content' });
  });
});
