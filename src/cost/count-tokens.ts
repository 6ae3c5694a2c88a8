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
  return getEncoder().encode(text).length;
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
