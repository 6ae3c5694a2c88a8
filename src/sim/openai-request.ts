import { countMessageTokens, type CountableMessage } from '../cost/count-tokens.js';
import type { OutputSpec } from './compose-reply.js';
import { isOutputSpec, type ChatRequest, type ErrorSpec } from './dialect.js';
import {
  findFencedSchema,
  isRecord,
  jsonTypeName,
  messageTexts,
  parseJsonObject,
  readTokenCap,
} from './request-helpers.js';

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

const BAD_JSON =
  'We could not parse the JSON body of your request. (HINT: This likely means you ' +
  "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, " +
  'but what was sent was not valid JSON.)';

function invalid(message: string, param: string | null, code: string | null): ErrorSpec {
  return { kind: 'invalid_request', message, param, code };
}

function missing(param: string): ErrorSpec {
  return invalid(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

/**
 * Reads a Chat Completions body, checking what OpenAI checks before it
 * generates anything: a model, a non-empty list of messages with known
 * roles, a sane token cap and a known response format. The 400s carry the
 * same `param` and `code` as OpenAI's.
 */
export function parseOpenAiRequest(rawBody: string): ChatRequest | ErrorSpec {
  const body = parseJsonObject(rawBody);
  if (!body) return invalid(BAD_JSON, null, null);
  if (body.model === undefined) return missing('model');
  if (typeof body.model !== 'string' || body.model === '') {
    return invalid(`Invalid type for 'model': expected a string.`, 'model', 'invalid_type');
  }
  const messages = checkMessages(body.messages);
  if (!Array.isArray(messages)) return messages;

  const cap = readTokenCap(body.max_completion_tokens ?? body.max_tokens);
  if (cap === 'invalid') {
    const param = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    const message = `Invalid '${param}': expected an integer of at least 1.`;
    return invalid(message, param, 'integer_below_min_value');
  }
  const output = readResponseFormat(body.response_format, messages);
  if (!isOutputSpec(output)) return output;

  const texts = messageTexts(messages);
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  return {
    model: body.model,
    promptTokens: countMessageTokens(messages),
    promptText: texts.join('\n'),
    output,
    ...(cap !== undefined && { maxTokens: cap }),
    stream: body.stream === true,
    includeUsage: body.stream === true && streamOptions.include_usage === true,
  };
}

function checkMessages(messages: unknown): CountableMessage[] | ErrorSpec {
  if (messages === undefined) return missing('messages');
  if (!Array.isArray(messages)) {
    const got = jsonTypeName(messages);
    const expected = 'expected an array of objects';
    const message = `Invalid type for 'messages': ${expected}, but got ${got} instead.`;
    return invalid(message, 'messages', 'invalid_type');
  }
  if (messages.length === 0) {
    const message =
      "Invalid 'messages': empty array. Expected an array with minimum length 1, " +
      'but got an empty array instead.';
    return invalid(message, 'messages', 'empty_array');
  }
  for (const [index, message] of messages.entries()) {
    const param = `messages[${index}]`;
    if (!isRecord(message)) {
      const got = jsonTypeName(message);
      const text = `Invalid type for '${param}': expected an object, but got ${got} instead.`;
      return invalid(text, param, 'invalid_type');
    }
    if (message.role === undefined) return missing(`${param}.role`);
    if (typeof message.role !== 'string' || !ROLES.includes(message.role)) {
      const supported = ROLES.map((role) => `'${role}'`).join(', ');
      const text = `Invalid value: '${String(message.role)}'. Supported values are: ${supported}.`;
      return invalid(text, `${param}.role`, 'invalid_value');
    }
  }
  return messages as CountableMessage[];
}

/**
 * json_schema: the given schema. json_object: the schema the gateway put in
 * a fenced block of the system (or any) message, else a small object.
 */
function readResponseFormat(format: unknown, messages: CountableMessage[]): OutputSpec | ErrorSpec {
  if (format === undefined || format === null) return { kind: 'text' };
  if (!isRecord(format)) {
    return invalid(
      "Invalid type for 'response_format': expected an object.",
      'response_format',
      'invalid_type',
    );
  }
  if (format.type === 'text') return { kind: 'text' };
  if (format.type === 'json_schema') {
    if (!isRecord(format.json_schema)) return missing('response_format.json_schema');
    if (typeof format.json_schema.name !== 'string')
      return missing('response_format.json_schema.name');
    return { kind: 'json', schema: format.json_schema.schema ?? {} };
  }
  if (format.type === 'json_object') {
    const system = messages.filter((m) => m.role === 'system' || m.role === 'developer');
    const schema = findFencedSchema([...messageTexts(system), ...messageTexts(messages)]);
    return { kind: 'json', ...(schema && { schema }) };
  }
  const supported = "'text', 'json_object', and 'json_schema'";
  const message = `Invalid value: '${String(format.type)}'. Supported values are: ${supported}.`;
  return invalid(message, 'response_format.type', 'invalid_value');
}
