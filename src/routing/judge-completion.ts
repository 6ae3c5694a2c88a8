import type { CompiledContract, ValidationIssue } from '../contracts/compile-schema.js';
import { parseOutput } from '../contracts/parse-output.js';
import type { Completion } from '../providers/types.js';

/** What a completion is worth once parsed and checked against the contract. */
export type Judgement =
  | { kind: 'valid'; payload: unknown; repaired: boolean }
  | { kind: 'refusal'; message: string }
  | { kind: 'truncated'; message: string }
  | { kind: 'invalid_json'; message: string }
  | { kind: 'schema_invalid'; issues: ValidationIssue[]; payload: unknown };

/**
 * Judges a completion. Order matters: a refusal is a refusal (not a parse
 * error), and output cut off by the token limit is never a success, even when
 * jsonrepair could close its brackets into something that validates.
 */
export function judgeCompletion(completion: Completion, contract: CompiledContract): Judgement {
  if (completion.finishReason === 'refusal') {
    return { kind: 'refusal', message: completion.refusal ?? 'the model refused' };
  }
  if (completion.finishReason === 'length') {
    return { kind: 'truncated', message: 'output was cut off at the token limit' };
  }
  const parsed = parseOutput(completion.text);
  if (!parsed.ok) return { kind: 'invalid_json', message: parsed.message };
  const issues = contract.validate(parsed.value);
  if (issues.length > 0) return { kind: 'schema_invalid', issues, payload: parsed.value };
  return { kind: 'valid', payload: parsed.value, repaired: parsed.repaired };
}

/** A readable line per issue, for the re-ask prompt and error messages. */
export function describeIssues(issues: ValidationIssue[]): string {
  return issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
}

/** A completion without a contract: an answer unless the model refused. */
export function plainJudgement(completion: Completion): Judgement {
  if (completion.finishReason === 'refusal') {
    return { kind: 'refusal', message: completion.refusal ?? 'the model refused' };
  }
  return { kind: 'valid', payload: undefined, repaired: false };
}

/** One line for a judgement, for errors and the re-ask prompt. */
export function judgementMessage(judgement: Judgement): string {
  switch (judgement.kind) {
    case 'schema_invalid':
      return describeIssues(judgement.issues);
    case 'valid':
      return 'valid';
    default:
      return judgement.message;
  }
}
