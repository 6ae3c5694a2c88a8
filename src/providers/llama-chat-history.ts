import type { ChatHistoryItem } from 'node-llama-cpp';
import type { ChatMessage } from './types.js';

/** The chat in node-llama-cpp's shape, or why it cannot be given to a local model. */
export type LlamaChatHistoryResult =
  { ok: true; history: ChatHistoryItem[] } | { ok: false; message: string };

/**
 * OpenAI chat messages → node-llama-cpp chat history, ending with an empty
 * model turn for the answer. The chat wrapper then renders it in the model's
 * own prompt format. System and developer messages become system turns, tool
 * results become user turns (this provider does not do tool calling).
 */
export function toLlamaChatHistory(messages: readonly ChatMessage[]): LlamaChatHistoryResult {
  const history: ChatHistoryItem[] = [];
  for (const [index, message] of messages.entries()) {
    const text = messageText(message);
    if (typeof text !== 'string') return { ok: false, message: `messages[${index}].${text.error}` };
    history.push(toItem(message.role, text));
  }
  history.push({ type: 'model', response: [] });
  return { ok: true, history };
}

function toItem(role: ChatMessage['role'], text: string): ChatHistoryItem {
  switch (role) {
    case 'system':
    case 'developer':
      return { type: 'system', text };
    case 'assistant':
      return { type: 'model', response: [text] };
    case 'user':
    case 'tool':
      return { type: 'user', text };
  }
}

function messageText(message: ChatMessage): string | { error: string } {
  const { content } = message;
  if (content === null) return '';
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  for (const [index, part] of content.entries()) {
    // A local text model cannot see an image or hear audio; dropping the part
    // silently would answer a different question than the one asked.
    if (part.type !== 'text' || typeof part.text !== 'string') {
      return { error: `content[${index}]: the llama provider takes text parts only` };
    }
    texts.push(part.text);
  }
  return texts.join('\n');
}
