import { jsonrepair } from 'jsonrepair';

export type ParsedOutput =
  { ok: true; value: unknown; repaired: boolean } | { ok: false; message: string };

// A fence that wraps the whole message, with an optional language tag.
const WHOLE_FENCE = /^```[A-Za-z0-9_-]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/;

/**
 * Turns a model's text into a JSON value: strip a markdown fence only when it
 * wraps the whole message (a fence inside prose is left alone), parse, and
 * if that fails repair with jsonrepair. Anything but a clean parse of the
 * original text counts as repaired.
 */
export function parseOutput(text: string): ParsedOutput {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'the model returned no content' };

  const fence = WHOLE_FENCE.exec(trimmed);
  const body = fence ? fence[1]!.trim() : trimmed;
  const clean = tryParse(body);
  if (clean.ok) return { ok: true, value: clean.value, repaired: fence !== null };

  let repairedText: string;
  try {
    repairedText = jsonrepair(body);
  } catch (error) {
    return { ok: false, message: `output is not JSON: ${(error as Error).message}` };
  }
  const repaired = tryParse(repairedText);
  if (!repaired.ok) return { ok: false, message: 'output is not JSON, even after repair' };
  return { ok: true, value: repaired.value, repaired: true };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
