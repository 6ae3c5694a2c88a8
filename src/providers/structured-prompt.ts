import type { ChatMessage, StructuredOutput } from './types.js';

/**
 * For upstreams without native schema support: the schema goes into a system
 * message, in a fenced block the model (and the simulator) can find, and the
 * request asks for JSON mode.
 */
export function withSchemaInstructions(
  messages: ChatMessage[],
  output: StructuredOutput,
): ChatMessage[] {
  const instructions =
    'Reply with a single JSON value that validates against this JSON Schema. ' +
    'No prose, no markdown.\n```json\n' +
    JSON.stringify(output.schema) +
    '\n```';
  return [{ role: 'system', content: instructions }, ...messages];
}
