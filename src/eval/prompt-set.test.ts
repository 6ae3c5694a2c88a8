import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test-support/gateway-harness.js';
import { parsePromptSet, PromptSetError, readPromptSet } from './prompt-set.js';

describe('reading a JSONL prompt set', () => {
  it('turns prompt lines and message lines into chat messages, skipping blank lines', () => {
    const text = [
      '{"id": "a", "prompt": "Great value.", "expected": "positive"}',
      '',
      '{"messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Meh."}]}',
    ].join('\n');
    expect(parsePromptSet(text, 'set.jsonl')).toEqual([
      { id: 'a', messages: [{ role: 'user', content: 'Great value.' }] },
      {
        id: 'line 3',
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Meh.' },
        ],
      },
    ]);
  });

  it('names the file and line of a line that is not JSON', () => {
    expect(() => parsePromptSet('{"prompt": "ok"}\n{oops', 'set.jsonl')).toThrow(
      new PromptSetError('set.jsonl:2: not a JSON object'),
    );
  });

  it('rejects a line with both prompt and messages', () => {
    const line = '{"prompt": "x", "messages": [{"role": "user", "content": "y"}]}';
    expect(() => parsePromptSet(line, 's')).toThrow('s:1: needs exactly one of prompt or messages');
  });

  it('rejects a message role the chat API does not take', () => {
    const line = '{"messages": [{"role": "robot", "content": "y"}]}';
    expect(() => parsePromptSet(line, 's')).toThrow(
      's:1: messages[0].role must be one of system, developer, user, assistant',
    );
  });

  it('rejects a repeated id', () => {
    const text = '{"id": "p1", "prompt": "x"}\n{"id": "p1", "prompt": "y"}';
    expect(() => parsePromptSet(text, 's')).toThrow('s:2: id "p1" is repeated');
  });

  it('rejects a file with no prompts', () => {
    expect(() => parsePromptSet('\n\n', 's')).toThrow('s: holds no prompts');
  });

  it('reads the shipped example set of 100 classification prompts', () => {
    const prompts = readPromptSet(join(REPO_ROOT, 'examples', 'eval', 'prompts.jsonl'));
    expect(prompts).toHaveLength(100);
    expect(new Set(prompts.map((p) => p.id)).size).toBe(100);
  });
});
