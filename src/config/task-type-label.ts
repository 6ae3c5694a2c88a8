const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** The longest task type a request may name; it is a label, kept in logs and audit rows. */
export const MAX_TASK_TYPE_CHARS = 64;

/**
 * What is wrong with `value` as a task type, or undefined when it is a short
 * printable label. Besides control characters, invisible format characters
 * are refused (bidirectional overrides, zero-width spaces, line separators):
 * a task type is shown in logs, reports and the dashboard, where they would
 * make one label read as another.
 */
export function taskTypeProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_TASK_TYPE_CHARS) return `is longer than ${MAX_TASK_TYPE_CHARS} characters`;
  return hiddenCharacterProblem(value);
}

/**
 * A label's problem when it holds control or invisible formatting characters
 * (see `taskTypeProblem`): also the rule for API key owners, which
 * `switchyard keys list` prints to a terminal.
 */
export function hiddenCharacterProblem(value: string): string | undefined {
  return HIDDEN.test(value)
    ? 'must not contain control or invisible formatting characters'
    : undefined;
}

/** `value` quoted for a message, with the characters `taskTypeProblem` refuses as `\uXXXX`. */
export function quoteLabel(value: string): string {
  return JSON.stringify(value).replace(
    new RegExp(HIDDEN.source, 'gu'),
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
