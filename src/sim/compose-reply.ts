import { countTokens } from '../cost/count-tokens.js';
import { hashString } from './prng.js';
import { flattenSchema, sampleSchema } from './sample-schema.js';
import type { ScenarioPlan } from './scenario-plan.js';

/** What the request asked the model to produce. */
export type OutputSpec =
  | { kind: 'text' }
  /** JSON text; without a schema, a small object. */
  | { kind: 'json'; schema?: unknown }
  /** A forced tool call whose input satisfies the tool's input schema. */
  | { kind: 'tool'; name: string; schema: unknown };

/** The model's answer, before either API dresses it. */
export interface Reply {
  /** Visible text: prose, JSON text, or the JSON text of a tool call's input. */
  text: string;
  /** A tool call's input object; `{}` when the call was cut off. */
  toolInput?: Record<string, unknown>;
  /** Set when the model refused; `text` is then empty. */
  refusal?: string;
  finish: 'stop' | 'length';
  /** Visible plus reasoning tokens, as billed. */
  outputTokens: number;
  reasoningTokens: number;
}

export const REFUSAL_TEXT = "I'm sorry, but I can't help with that request.";
/** Multi-byte text for the split_utf8 fault: 2-, 3- and 3-byte characters. */
export const MULTIBYTE_TEXT = 'café ✓ 日本';

const SMALL_OBJECT_SCHEMA = {
  type: 'object',
  properties: { result: { type: 'string' } },
  required: ['result'],
};

/** Options of `composeReply`. */
export interface ComposeReplyOptions {
  output: OutputSpec;
  /** All prompt text, which seeds the deterministic content. */
  promptText: string;
  plan: ScenarioPlan;
  /** The request's output cap, reasoning included, if it set one. */
  maxTokens?: number;
  reasoningTokens: number;
}

/**
 * The deterministic answer to a request: the same prompt gets the same text,
 * shaped by the output mode and damaged as the scenarios ask. A cap on
 * output tokens cuts the text and reports `length`, as the real APIs do;
 * reasoning tokens count against that cap, so a cap below them leaves no text.
 */
export function composeReply(options: ComposeReplyOptions): Reply {
  const { plan, reasoningTokens } = options;
  if (plan.refusal) {
    const outputTokens = countTokens(REFUSAL_TEXT) + reasoningTokens;
    return { text: '', refusal: REFUSAL_TEXT, finish: 'stop', outputTokens, reasoningTokens };
  }

  const drafted = draft(options);
  let { text } = drafted;
  let toolInput = drafted.toolInput;
  let finish: Reply['finish'] = 'stop';
  if (plan.mutations.has('truncated')) {
    text = cutInHalf(text);
    toolInput = toolInput && {};
    finish = 'length';
  }
  if (options.maxTokens !== undefined) {
    const budget = Math.max(0, options.maxTokens - reasoningTokens);
    if (countTokens(text) > budget) {
      text = truncateToTokens(text, budget);
      toolInput = toolInput && {};
      finish = 'length';
    }
  }
  const outputTokens = countTokens(text) + reasoningTokens;
  return { text, ...(toolInput && { toolInput }), finish, outputTokens, reasoningTokens };
}

function draft(options: ComposeReplyOptions): {
  text: string;
  toolInput?: Record<string, unknown>;
} {
  const { output, promptText, plan } = options;
  if (output.kind === 'text') {
    const sentence = proseReply(promptText, plan.splitUtf8);
    return { text: Array.from({ length: plan.replyRepeats }, () => sentence).join(' ') };
  }

  const schema = output.kind === 'json' ? (output.schema ?? SMALL_OBJECT_SCHEMA) : output.schema;
  const naiveDateTime = plan.mutations.has('naive_timestamp');
  const value = sampleSchema(schema, { seedText: promptText, naiveDateTime });
  if (plan.mutations.has('missing_field')) dropFirstRequired(value, schema);
  if (output.kind === 'tool') {
    // A tool input is an object on the wire, so text-level damage cannot apply.
    const toolInput = isRecord(value) ? value : {};
    return { text: JSON.stringify(toolInput), toolInput };
  }
  let text = plan.mutations.has('trailing_comma')
    ? withTrailingCommas(value)
    : JSON.stringify(value);
  if (plan.mutations.has('fenced_json')) text = '```json\n' + text + '\n```';
  return { text };
}

/** A fixed sentence tagged with a hash of the prompt, so different prompts differ. */
function proseReply(promptText: string, multibyte: boolean): string {
  const tag = hashString(promptText).toString(16).padStart(8, '0');
  const sentence =
    `Simulated reply ${tag}: the provider simulator received your request ` +
    'and answered it with this deterministic text.';
  return multibyte ? `${sentence} ${MULTIBYTE_TEXT}.` : sentence;
}

/** Deletes the first required property (or else the first property) of an object. */
function dropFirstRequired(value: unknown, schema: unknown): void {
  if (!isRecord(value)) return;
  const required = flattenSchema(schema).required;
  const first =
    Array.isArray(required) && typeof required[0] === 'string' ? required[0] : undefined;
  const key = first ?? Object.keys(value)[0];
  if (key !== undefined) delete value[key];
}

/** JSON with a comma after the last member of every non-empty object and array. */
export function withTrailingCommas(value: unknown): string {
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[${value.map(withTrailingCommas).join(',')},]`;
  }
  if (isRecord(value)) {
    const members = Object.entries(value).map(
      ([key, item]) => `${JSON.stringify(key)}:${withTrailingCommas(item)}`,
    );
    return members.length === 0 ? '{}' : `{${members.join(',')},}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function cutInHalf(text: string): string {
  const codePoints = Array.from(text);
  return codePoints.slice(0, Math.floor(codePoints.length / 2)).join('');
}

/** The longest prefix of `text` (whole code points) within `maxTokens` tokens. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const codePoints = Array.from(text);
  let low = 0;
  let high = codePoints.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (countTokens(codePoints.slice(0, middle).join('')) <= maxTokens) low = middle;
    else high = middle - 1;
  }
  return codePoints.slice(0, low).join('');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
