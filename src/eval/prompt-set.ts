import { readFileSync } from 'node:fs';
import type { ChatMessage } from '../providers/types.js';

/** One prompt of an evaluation set, ready to send. */
export interface EvalPrompt {
  /** The line's `id`, else `line N`; names the prompt in messages. */
  id: string;
  messages: ChatMessage[];
}

/** A prompt file that cannot be used; the message names the line at fault. */
export class PromptSetError extends Error {
  readonly code = 'invalid_prompt_set';

  constructor(message: string) {
    super(message);
    this.name = 'PromptSetError';
  }
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant']);

/**
 * Reads a JSONL prompt set: one JSON object per line with `prompt` (a string)
 * or `messages` (OpenAI chat messages with string content), and an optional
 * `id`. Blank lines are skipped. Any other field is allowed and ignored, so a
 * set can carry its own annotations (an expected label, a source).
 */
export function readPromptSet(path: string): EvalPrompt[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PromptSetError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parsePromptSet(text, path);
}

/** `readPromptSet` on text already read; `source` names it in errors. */
export function parsePromptSet(text: string, source: string): EvalPrompt[] {
  const prompts: EvalPrompt[] = [];
  const ids = new Set<string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${source}:${index + 1}`;
    const prompt = parseLine(line, where, `line ${index + 1}`);
    if (ids.has(prompt.id)) throw new PromptSetError(`${where}: id "${prompt.id}" is repeated`);
    ids.add(prompt.id);
    prompts.push(prompt);
  });
  if (prompts.length === 0) throw new PromptSetError(`${source}: holds no prompts`);
  return prompts;
}

function parseLine(line: string, where: string, fallbackId: string): EvalPrompt {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new PromptSetError(`${where}: not a JSON object`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PromptSetError(`${where}: not a JSON object`);
  }
  const record = value as Record<string, unknown>;
  const id = record.id === undefined ? fallbackId : record.id;
  if (typeof id !== 'string' || id === '') {
    throw new PromptSetError(`${where}: id must be a non-empty string`);
  }
  const hasPrompt = record.prompt !== undefined;
  if (hasPrompt === (record.messages !== undefined)) {
    throw new PromptSetError(`${where}: needs exactly one of prompt or messages`);
  }
  if (hasPrompt) {
    if (typeof record.prompt !== 'string' || record.prompt.trim() === '') {
      throw new PromptSetError(`${where}: prompt must be a non-empty string`);
    }
    return { id, messages: [{ role: 'user', content: record.prompt }] };
  }
  return { id, messages: parseMessages(record.messages, where) };
}

function parseMessages(value: unknown, where: string): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new PromptSetError(`${where}: messages must be a non-empty array`);
  }
  return value.map((message: unknown, index) => {
    const m = message as { role?: unknown; content?: unknown } | null;
    if (typeof m?.role !== 'string' || !ROLES.has(m.role)) {
      throw new PromptSetError(
        `${where}: messages[${index}].role must be one of ${[...ROLES].join(', ')}`,
      );
    }
    if (typeof m.content !== 'string') {
      throw new PromptSetError(`${where}: messages[${index}].content must be a string`);
    }
    return { role: m.role as ChatMessage['role'], content: m.content };
  });
}
