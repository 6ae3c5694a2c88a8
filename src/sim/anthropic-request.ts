import { contentText, countMessageTokens, type CountableMessage } from '../cost/count-tokens.js';
import type { OutputSpec } from './compose-reply.js';
import { isOutputSpec, type ChatRequest, type ErrorSpec } from './dialect.js';
import {
  findFencedSchema,
  isRecord,
  messageTexts,
  parseJsonObject,
  readTokenCap,
} from './request-helpers.js';

function invalid(message: string): ErrorSpec {
  return { kind: 'invalid_request', message };
}

/**
 * Reads a Messages body, checking what Anthropic checks: model, max_tokens
 * and a non-empty list of user/assistant messages (a `system` role there is
 * refused, since the system prompt is the top-level `system` field).
 */
export function parseAnthropicRequest(rawBody: string): ChatRequest | ErrorSpec {
  const body = parseJsonObject(rawBody);
  if (!body) return invalid('There was an error parsing the body of your request as JSON.');
  if (body.model === undefined) return invalid('model: Field required');
  if (typeof body.model !== 'string' || body.model === '') {
    return invalid('model: Input should be a valid string');
  }
  if (body.max_tokens === undefined) return invalid('max_tokens: Field required');
  const cap = readTokenCap(body.max_tokens);
  if (cap === 'invalid' || cap === undefined) {
    return invalid('max_tokens: Input should be an integer greater than or equal to 1');
  }
  const messages = checkMessages(body.messages);
  if (!Array.isArray(messages)) return messages;
  const system = systemText(body.system);
  if (system === undefined)
    return invalid('system: Input should be a valid string or list of blocks');

  const output = readOutput(body, system);
  if (!isOutputSpec(output)) return output;
  const counted = system === '' ? messages : [{ role: 'system', content: system }, ...messages];
  return {
    model: body.model,
    promptTokens: countMessageTokens(counted),
    promptText: [system, ...messageTexts(messages)].join('\n'),
    output,
    maxTokens: cap,
    stream: body.stream === true,
    includeUsage: false,
  };
}

function checkMessages(messages: unknown): CountableMessage[] | ErrorSpec {
  if (messages === undefined) return invalid('messages: Field required');
  if (!Array.isArray(messages)) return invalid('messages: Input should be a valid list');
  if (messages.length === 0) return invalid('messages: at least one message is required');
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message)) return invalid(`messages.${index}: Input should be a valid dictionary`);
    if (message.role === 'system') {
      return invalid(
        'messages: Unexpected role "system". The Messages API accepts a top-level `system` ' +
          'parameter, not "system" as an input message role.',
      );
    }
    if (message.role !== 'user' && message.role !== 'assistant') {
      return invalid(`messages.${index}.role: Input should be 'user' or 'assistant'`);
    }
    if (message.content === undefined) return invalid(`messages.${index}.content: Field required`);
  }
  return messages as CountableMessage[];
}

/** The system prompt as text ('' when absent), or undefined when malformed. */
function systemText(system: unknown): string | undefined {
  if (system === undefined || system === null) return '';
  if (typeof system === 'string' || Array.isArray(system)) return contentText(system);
  return undefined;
}

/**
 * A forced tool (`tool_choice` of type `tool`, or `any` with its first tool),
 * else `output_config.format` JSON, else a schema fenced in the system
 * prompt, else prose.
 */
function readOutput(body: Record<string, unknown>, system: string): OutputSpec | ErrorSpec {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const choice = isRecord(body.tool_choice) ? body.tool_choice : undefined;
  if (choice?.type === 'tool' || choice?.type === 'any') {
    const tool = choice.type === 'tool' ? tools.find((t) => t.name === choice.name) : tools[0];
    if (!tool || typeof tool.name !== 'string') {
      return invalid(
        `tool_choice: tool '${String(choice.name ?? '')}' is not among the tools given`,
      );
    }
    return { kind: 'tool', name: tool.name, schema: tool.input_schema ?? { type: 'object' } };
  }
  const config = isRecord(body.output_config) ? body.output_config : {};
  const format = isRecord(config.format) ? config.format : undefined;
  if (format?.type === 'json_schema') return { kind: 'json', schema: format.schema ?? {} };
  const fenced = findFencedSchema([system]);
  return fenced ? { kind: 'json', schema: fenced } : { kind: 'text' };
}
