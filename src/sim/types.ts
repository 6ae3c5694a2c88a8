import type { Logger } from '../logging/logger.js';
import type { RateLimit } from './rate-limit-window.js';

/** How one simulated model answers. Every field is optional; see the defaults on each. */
export interface ModelBehaviour {
  /** Waited before answering, and a tenth of it (at most 25 ms) between stream chunks. */
  latencyMs?: number;
  /** Scenario names used one per request, in order; afterwards requests are `ok`. */
  script?: string[];
  /** Probability in [0, 1] that an unscripted request gets a random fault. */
  faultRate?: number;
  /** Faults drawn from when `faultRate` fires; default server_error, rate_limit, overloaded. */
  faultScenarios?: string[];
  /** Hidden reasoning tokens added to completion tokens; default 64 for o1/o3/o4 names, else 0. */
  reasoningTokens?: number;
  /** A budget per window that drives rate-limit headers and real 429s when spent. */
  rateLimit?: RateLimit;
}

/** Options of `startSimulator`. */
export interface SimulatorOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; default 0, an ephemeral port. */
  port?: number;
  /** Receives one debug line per request; default silent. */
  logger?: Logger;
  /** Behaviour per model name, over `defaultBehaviour`. */
  models?: Record<string, ModelBehaviour>;
  defaultBehaviour?: ModelBehaviour;
  /** Source of fault draws in [0, 1); default a PRNG seeded with `seed`. */
  random?: () => number;
  /** Seed of the default PRNG and of generated ids; default 1. */
  seed?: number;
  /** Clock for rate-limit windows and timestamps, in epoch ms; default Date.now. */
  now?: () => number;
}

/** Counters since start or the last reset. */
export interface SimulatorStats {
  /** Completion requests received (chat completions and messages). */
  requests: number;
  /** Sockets open now, idle keep-alive ones included. */
  openConnections: number;
  byModel: Record<string, number>;
  /** Requests per scenario base name (`slow`, not `slow:200`); `ok` when none applied. */
  byScenario: Record<string, number>;
}

/** A simulator listening on a loopback port. */
export interface RunningSimulator {
  /** Base address, e.g. http://127.0.0.1:PORT; OpenAI clients use `${url}/v1`. */
  url: string;
  /** Appends scenarios to a model's queue; throws on an unknown scenario name. */
  script(model: string, scenarios: string[]): void;
  /**
   * Changes a model's behaviour from now on; fields not given stay as they
   * were. A `script` replaces the model's queue; a `rateLimit` starts a new window.
   */
  configure(model: string, behaviour: Partial<ModelBehaviour>): void;
  stats(): SimulatorStats;
  /** Stops listening and destroys every socket, hung requests included; safe to call twice. */
  close(): Promise<void>;
}
