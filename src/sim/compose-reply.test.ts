import { describe, expect, it } from 'vitest';
import { countTokens } from '../cost/count-tokens.js';
import { composeReply, truncateToTokens, withTrailingCommas } from './compose-reply.js';
import { planScenarios, ScenarioError } from './scenario-plan.js';

describe('composeReply', () => {
  it('leaves no visible text when reasoning uses up the token cap', () => {
    const reply = composeReply({
      output: { kind: 'text' },
      promptText: 'hi',
      plan: planScenarios([]),
      maxTokens: 50,
      reasoningTokens: 64,
    });
    expect(reply).toMatchObject({
      text: '',
      finish: 'length',
      outputTokens: 64,
      reasoningTokens: 64,
    });
  });

  it('gives different prose for different prompts and the same for the same', () => {
    const make = (promptText: string) =>
      composeReply({
        output: { kind: 'text' },
        promptText,
        plan: planScenarios([]),
        reasoningTokens: 0,
      }).text;
    expect(make('one')).toBe(make('one'));
    expect(make('one')).not.toBe(make('two'));
  });

  it('answers a tool call with an empty input when truncated', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    const reply = composeReply({
      output: { kind: 'tool', name: 't', schema },
      promptText: 'x',
      plan: planScenarios(['truncated']),
      reasoningTokens: 0,
    });
    expect(reply.toolInput).toEqual({});
    expect(reply.finish).toBe('length');
    expect(reply.text.startsWith('{"a":')).toBe(true);
  });
});

describe('helpers', () => {
  it('puts a comma after the last member of every object and array', () => {
    expect(withTrailingCommas({ a: [1, 2], b: {}, c: [] })).toBe('{"a":[1,2,],"b":{},"c":[],}');
  });

  it('truncates to whole code points within the token cap', () => {
    const text = 'The quick brown fox jumps over the lazy dog. 日本語のテキスト';
    const cut = truncateToTokens(text, 6);
    expect(countTokens(cut)).toBeLessThanOrEqual(6);
    expect(text.startsWith(cut)).toBe(true);
    expect(cut.length).toBeGreaterThan(10);
  });
});

describe('planScenarios', () => {
  it('adds up several scenarios and keeps the first fault', () => {
    const plan = planScenarios(['slow:20', 'slow:5', 'server_error', 'rate_limit', 'cached:12']);
    expect(plan.delayMs).toBe(25);
    expect(plan.fault).toEqual({ kind: 'server_error' });
    expect(plan.cachedTokens).toBe(12);
    expect(plan.names).toEqual(['slow', 'slow', 'server_error', 'rate_limit', 'cached']);
  });

  it('refuses unknown names and misplaced arguments', () => {
    expect(() => planScenarios(['explode'])).toThrow(ScenarioError);
    expect(() => planScenarios(['server_error:3'])).toThrow(/cannot take/);
    expect(() => planScenarios(['cached:lots'])).toThrow(/cannot take/);
    expect(planScenarios(['rate_limit']).fault).toEqual({
      kind: 'rate_limit',
      retryAfterSeconds: 1,
    });
  });
});
