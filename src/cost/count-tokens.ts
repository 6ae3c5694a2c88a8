import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

/** Chat messages as far as token counting cares: a role and some content. */
export interface CountableMessage {
  role: string;
  content?: unknown;
}

let encoder: Tiktoken | undefined;

function getEncoder(): Tiktoken {
  // The rank table is large; build it once, on first use.
  encoder ??= new Tiktoken(o200kBase);
  return encoder;
}

/**
 * Tokens in `text` under o200k_base, the encoding of the GPT-4o and o-series
 * models. For other model families it is an estimate, which is all the gateway
 * needs it for (cost caps and context checks); billing uses provider usage.
 */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return getEncoder().encode(text).length;
}

/** Text of a message's content, whether a string or an array of parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (part && typeof part === 'object' && 'text' in part && typeof part.text === 'string') {
      text += part.text;
    }
  }
  return text;
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
