/** Chat messages as far as token counting cares: a role and some content. */
export interface CountableMessage {
  role: string;
  content?: unknown;
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

// Byte-level BPE vocabularies (o200k, cl100k, Claude's) take about four bytes
// of English a token, and under three of code or JSON; 2.5 errs on the side of
// more tokens, the safe side for a cost cap and a budget hold.
const BYTES_PER_TOKEN = 2.5;

/**
 * The gateway's estimate of the tokens in `text`: its UTF-8 length over
 * 2.5, rounded up. Exact counts need the model's own tokenizer, and
 * loading one (o200k's rank table) costs over 100 MB of memory and a tenth
 * of the gateway's CPU under load, for figures that only plan: the cost cap,
 * budget holds, context-window checks and rate-limit headroom. Billing uses
 * the usage the provider reports. The estimate runs high for English (by
 * up to three quarters) and a little high for code, and can run low for
 * text that tokenizes poorly, such as long runs of emoji or rare scripts.
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
}

/**
 * Prompt tokens of a chat request, estimated: each message's content plus
 * four tokens of framing (role and separators), and three that prime the reply.
 */
export function estimateMessageTokens(messages: readonly CountableMessage[]): number {
  let total = 3;
  for (const message of messages) total += 4 + estimateTokens(contentText(message.content));
  return total;
}
