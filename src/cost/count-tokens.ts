import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { contentText, type CountableMessage } from './estimate-tokens.js';

export { contentText, type CountableMessage };

let encoder: Tiktoken | undefined;

function getEncoder(): Tiktoken {
  // The rank table is large; build it once, on first use.
  encoder ??= new Tiktoken(o200kBase);
  return encoder;
}

/**
 * Tokens in `text` under o200k_base, the encoding of the GPT-4o and o-series
 * models: what the simulator reports as usage, and what `switchyard eval`
 * counts when a provider reports none. The gateway's request path plans with
 * the cheaper `estimateTokens` instead, and never loads this rank table.
 */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  let total = 0;
  for (const piece of pieces(text)) total += getEncoder().encode(piece).length;
  return total;
}

// BPE merging in js-tiktoken takes time quadratic in the length of a run
// without spaces (12,000 such characters took 10 s), which froze the
// process. Text is cut just before a space, where o200k's pre-tokenizer cuts
// anyway, so ordinary text counts exactly; a run with no space in sight is
// cut every 64 characters, which counts it approximately.
const PIECE_CHARS = 512;
const RUN_CHARS = 64;

function* pieces(text: string): Generator<string> {
  let start = 0;
  while (text.length - start > PIECE_CHARS) {
    const space = text.lastIndexOf(' ', start + PIECE_CHARS);
    let end = space > start ? space : start + RUN_CHARS;
    // Never split a surrogate pair.
    if (/[\uD800-\uDBFF]/.test(text[end - 1] ?? '')) end--;
    yield text.slice(start, end);
    start = end;
  }
  yield text.slice(start);
}

/**
 * Prompt tokens of a chat request as OpenAI counts them: each message costs
 * its content plus a few tokens of framing, and the reply is primed with 3.
 */
export function countMessageTokens(messages: readonly CountableMessage[]): number {
  const perMessage = 3;
  let total = 3;
  for (const message of messages) {
    total += perMessage + countTokens(message.role) + countTokens(contentText(message.content));
  }
  return total;
}
