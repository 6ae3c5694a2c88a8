/**
 * Scenario names, their arguments, and the plan a list of them adds up to.
 * One request can carry several scenarios (`fenced_json,slow:200`); each
 * sets its part of the plan, and the first one that is a failure wins.
 */

/** A failure answered instead of a completion. */
export type Fault =
  | { kind: 'rate_limit'; retryAfterSeconds: number }
  | { kind: 'rate_limit_ms'; retryAfterMs: number }
  | { kind: 'rate_limit_date'; retryAfterSeconds: number }
  | { kind: 'rate_limit_bare' }
  | { kind: 'request_too_large' }
  | { kind: 'server_error' }
  | { kind: 'bad_gateway_html' }
  | { kind: 'unavailable' }
  | { kind: 'overloaded' }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'context_length' }
  | { kind: 'auth_error' };

/** Ways a successful reply's content is damaged, as models and proxies do. */
export type Mutation =
  'fenced_json' | 'trailing_comma' | 'missing_field' | 'naive_timestamp' | 'truncated';

/** A failure injected into a stream after its 200 status line. */
export type StreamFault =
  'stream_error_before_content' | 'stream_error_after_content' | 'stream_drop';

/** Everything the scenarios of one request ask for. */
export interface ScenarioPlan {
  /** Base names of the scenarios applied, `ok` when none; for stats. */
  names: string[];
  /** Extra wait before answering, from `slow:MS`. */
  delayMs: number;
  fault?: Fault;
  mutations: Set<Mutation>;
  streamFault?: StreamFault;
  refusal: boolean;
  emptyChoices: boolean;
  emptyChoicesFirst: boolean;
  splitUtf8: boolean;
  /** The reply reports no token usage (`no_usage`), as some compatible servers do. */
  noUsage: boolean;
  /** How many times the prose reply is said over, from `long_reply:N`; 1 by default. */
  replyRepeats: number;
  cachedTokens: number;
  /** Reported remaining tokens, from `low_tokens:N`. */
  remainingTokens?: number;
}

type ArgumentRule = 'none' | 'optional' | 'required';

/** Caps `long_reply:N`, so a typo cannot make a reply of gigabytes. */
const MAX_REPLY_REPEATS = 10_000;

interface ScenarioDefinition {
  argument: ArgumentRule;
  apply(plan: ScenarioPlan, argument: number | undefined): void;
}

const fault = (make: (argument: number | undefined) => Fault): ScenarioDefinition['apply'] => {
  return (plan, argument) => {
    plan.fault ??= make(argument);
  };
};
const mutation = (name: Mutation): ScenarioDefinition['apply'] => {
  return (plan) => void plan.mutations.add(name);
};
const streamFault = (name: StreamFault): ScenarioDefinition['apply'] => {
  return (plan) => {
    plan.streamFault ??= name;
  };
};

const DEFINITIONS: Record<string, ScenarioDefinition> = {
  ok: { argument: 'none', apply: () => {} },
  slow: { argument: 'required', apply: (plan, ms) => void (plan.delayMs += ms ?? 0) },
  rate_limit: {
    argument: 'optional',
    apply: fault((seconds) => ({ kind: 'rate_limit', retryAfterSeconds: seconds ?? 1 })),
  },
  rate_limit_ms: {
    argument: 'required',
    apply: fault((ms) => ({ kind: 'rate_limit_ms', retryAfterMs: ms ?? 0 })),
  },
  rate_limit_date: {
    argument: 'required',
    apply: fault((seconds) => ({ kind: 'rate_limit_date', retryAfterSeconds: seconds ?? 0 })),
  },
  rate_limit_bare: { argument: 'none', apply: fault(() => ({ kind: 'rate_limit_bare' })) },
  request_too_large: { argument: 'none', apply: fault(() => ({ kind: 'request_too_large' })) },
  low_tokens: { argument: 'required', apply: (plan, n) => void (plan.remainingTokens = n) },
  server_error: { argument: 'none', apply: fault(() => ({ kind: 'server_error' })) },
  bad_gateway_html: { argument: 'none', apply: fault(() => ({ kind: 'bad_gateway_html' })) },
  unavailable: { argument: 'none', apply: fault(() => ({ kind: 'unavailable' })) },
  overloaded: { argument: 'none', apply: fault(() => ({ kind: 'overloaded' })) },
  reset: { argument: 'none', apply: fault(() => ({ kind: 'reset' })) },
  hang: { argument: 'none', apply: fault(() => ({ kind: 'hang' })) },
  context_length: { argument: 'none', apply: fault(() => ({ kind: 'context_length' })) },
  auth_error: { argument: 'none', apply: fault(() => ({ kind: 'auth_error' })) },
  fenced_json: { argument: 'none', apply: mutation('fenced_json') },
  trailing_comma: { argument: 'none', apply: mutation('trailing_comma') },
  missing_field: { argument: 'none', apply: mutation('missing_field') },
  naive_timestamp: { argument: 'none', apply: mutation('naive_timestamp') },
  truncated: { argument: 'none', apply: mutation('truncated') },
  refusal: { argument: 'none', apply: (plan) => void (plan.refusal = true) },
  empty_choices: { argument: 'none', apply: (plan) => void (plan.emptyChoices = true) },
  cached: { argument: 'required', apply: (plan, n) => void (plan.cachedTokens = n ?? 0) },
  stream_error_before_content: {
    argument: 'none',
    apply: streamFault('stream_error_before_content'),
  },
  stream_error_after_content: {
    argument: 'none',
    apply: streamFault('stream_error_after_content'),
  },
  stream_drop: { argument: 'none', apply: streamFault('stream_drop') },
  split_utf8: { argument: 'none', apply: (plan) => void (plan.splitUtf8 = true) },
  empty_choices_first: { argument: 'none', apply: (plan) => void (plan.emptyChoicesFirst = true) },
  no_usage: { argument: 'none', apply: (plan) => void (plan.noUsage = true) },
  long_reply: {
    argument: 'required',
    apply: (plan, n) =>
      void (plan.replyRepeats = Math.min(MAX_REPLY_REPEATS, Math.max(1, Math.floor(n ?? 1)))),
  },
};

/** Every scenario name the simulator knows, for listings and error messages. */
export const SCENARIO_NAMES: readonly string[] = Object.keys(DEFINITIONS);

/** A scenario name that is not known, or whose argument is missing or not a number. */
export class ScenarioError extends Error {
  readonly code = 'SIM_UNKNOWN_SCENARIO';

  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Splits `a,b:1` into trimmed scenario strings, dropping empty ones. */
export function splitScenarioList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * Throws a ScenarioError unless every scenario in `entry` (one name, or a
 * comma-separated list applied together) is known and has a fitting argument.
 */
export function checkScenario(entry: string): void {
  for (const scenario of splitScenarioList(entry)) parseScenario(scenario);
}

function parseScenario(scenario: string): { definition: ScenarioDefinition; argument?: number } {
  const [name = '', rawArgument, ...extra] = scenario.split(':');
  const definition = DEFINITIONS[name];
  if (!definition || extra.length > 0) {
    throw new ScenarioError(`unknown simulator scenario '${scenario}'`);
  }
  if (rawArgument === undefined) {
    if (definition.argument === 'required') {
      throw new ScenarioError(`simulator scenario '${name}' needs an argument, as '${name}:N'`);
    }
    return { definition };
  }
  const argument = Number(rawArgument);
  if (definition.argument === 'none' || rawArgument === '' || !Number.isFinite(argument)) {
    throw new ScenarioError(`simulator scenario '${scenario}' has an argument it cannot take`);
  }
  return { definition, argument: Math.max(0, argument) };
}

/** The plan for a list of scenario strings; throws a ScenarioError on an unknown one. */
export function planScenarios(scenarios: readonly string[]): ScenarioPlan {
  const plan: ScenarioPlan = {
    names: [],
    delayMs: 0,
    mutations: new Set(),
    refusal: false,
    emptyChoices: false,
    emptyChoicesFirst: false,
    splitUtf8: false,
    noUsage: false,
    replyRepeats: 1,
    cachedTokens: 0,
  };
  for (const scenario of scenarios) {
    const { definition, argument } = parseScenario(scenario);
    definition.apply(plan, argument);
    plan.names.push(scenario.split(':')[0] ?? scenario);
  }
  if (plan.names.length === 0) plan.names.push('ok');
  return plan;
}
