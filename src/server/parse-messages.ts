import { invalidRequest } from '../errors/gateway-error.js';
import type { ChatMessage } from '../providers/types.js';

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** Checks OpenAI chat messages, naming the first bad field (`messages[2].role`). */
export function parseMessages(value: unknown, field = 'messages'): ChatMessage[] {
  if (!Array.isArray(value)) throw invalidRequest(field, 'must be an array of chat messages');
  if (value.length === 0) throw invalidRequest(field, 'must hold at least one message');
  return value.map((item, index) => parseMessage(item, `${field}[${index}]`));
}

function parseMessage(item: unknown, field: string): ChatMessage {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw invalidRequest(field, 'must be an object with role and content');
  }
  const message = item as Record<string, unknown>;
  if (typeof message.role !== 'string' || !ROLES.has(message.role)) {
    throw invalidRequest(`${field}.role`, `must be one of ${[...ROLES].join(', ')}`);
  }
  const content = message.content;
  const assistantWithTools = message.role === 'assistant' && Array.isArray(message.tool_calls);
  if (content === null || content === undefined) {
    if (!assistantWithTools) throw invalidRequest(`${field}.content`, 'is required');
  } else if (typeof content !== 'string' && !Array.isArray(content)) {
    throw invalidRequest(`${field}.content`, 'must be a string or an array of content parts');
  } else if (Array.isArray(content)) {
    content.forEach((part, index) => {
      if (typeof part !== 'object' || part === null || typeof part.type !== 'string') {
        throw invalidRequest(`${field}.content[${index}]`, 'must be a content part with a type');
      }
    });
  }
  return message as unknown as ChatMessage;
}
