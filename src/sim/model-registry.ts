import { checkScenario } from './scenario-plan.js';
import { RateLimitWindow } from './rate-limit-window.js';
import type { ModelBehaviour } from './types.js';

const DEFAULT_FAULTS = ['server_error', 'rate_limit', 'overloaded'];
/** OpenAI's reasoning models are named o1, o3-mini, o4-mini and so on. */
const REASONING_MODEL = /^o\d+(-|$)/;
const DEFAULT_REASONING_TOKENS = 64;

interface ModelState {
  behaviour: ModelBehaviour;
  queue: string[];
  window: RateLimitWindow;
}

/** Options of `ModelRegistry`. */
export interface ModelRegistryOptions {
  models?: Record<string, ModelBehaviour>;
  defaultBehaviour?: ModelBehaviour;
  random: () => number;
  now: () => number;
}

/**
 * Per-model behaviour, script queue and rate-limit window. Models are made
 * on first use from `defaultBehaviour` overlaid with their own entry, so any
 * model name works without being declared.
 */
export class ModelRegistry {
  readonly #options: ModelRegistryOptions;
  readonly #states = new Map<string, ModelState>();

  constructor(options: ModelRegistryOptions) {
    this.#options = options;
    for (const behaviour of Object.values(options.models ?? {})) checkAll(behaviour);
    checkAll(options.defaultBehaviour ?? {});
  }

  /** Models configured at start or seen since. */
  knownModels(): string[] {
    return [...new Set([...Object.keys(this.#options.models ?? {}), ...this.#states.keys()])];
  }

  behaviour(model: string): ModelBehaviour {
    return this.#state(model).behaviour;
  }

  reasoningTokens(model: string): number {
    const configured = this.#state(model).behaviour.reasoningTokens;
    return configured ?? (REASONING_MODEL.test(model) ? DEFAULT_REASONING_TOKENS : 0);
  }

  window(model: string): RateLimitWindow {
    return this.#state(model).window;
  }

  /** Appends to the model's queue; throws a ScenarioError before changing anything. */
  enqueue(model: string, scenarios: readonly string[]): void {
    scenarios.forEach(checkScenario);
    this.#state(model).queue.push(...scenarios);
  }

  configure(model: string, patch: Partial<ModelBehaviour>): void {
    checkAll(patch);
    const state = this.#state(model);
    state.behaviour = { ...state.behaviour, ...patch };
    if (patch.script) state.queue = [...patch.script];
    if ('rateLimit' in patch) state.window = this.#newWindow(state.behaviour);
  }

  /**
   * The scenarios for a request without an `x-sim-scenario` header: the next
   * scripted one, else a random fault at the model's fault rate, else none.
   */
  nextScenarios(model: string): string[] {
    const state = this.#state(model);
    const scripted = state.queue.shift();
    if (scripted !== undefined) return [scripted];
    const { faultRate = 0, faultScenarios = DEFAULT_FAULTS } = state.behaviour;
    if (faultRate <= 0 || faultScenarios.length === 0) return [];
    if (this.#options.random() >= faultRate) return [];
    const index = Math.floor(this.#options.random() * faultScenarios.length);
    return [faultScenarios[Math.min(index, faultScenarios.length - 1)] ?? 'server_error'];
  }

  /** Forgets every queue, window and runtime change, back to the start options. */
  reset(): void {
    this.#states.clear();
  }

  #state(model: string): ModelState {
    let state = this.#states.get(model);
    if (!state) {
      const behaviour = { ...this.#options.defaultBehaviour, ...this.#options.models?.[model] };
      state = {
        behaviour,
        queue: [...(behaviour.script ?? [])],
        window: this.#newWindow(behaviour),
      };
      this.#states.set(model, state);
    }
    return state;
  }

  #newWindow(behaviour: ModelBehaviour): RateLimitWindow {
    return new RateLimitWindow({ limit: behaviour.rateLimit, now: this.#options.now });
  }
}

function checkAll(behaviour: Partial<ModelBehaviour>): void {
  behaviour.script?.forEach(checkScenario);
  behaviour.faultScenarios?.forEach(checkScenario);
}
