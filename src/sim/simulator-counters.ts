import type { SimulatorStats } from './types.js';

/** Request counters of a running simulator; open connections are counted by the server. */
export class SimulatorCounters {
  #requests = 0;
  #byModel: Record<string, number> = {};
  #byScenario: Record<string, number> = {};

  countRequest(): void {
    this.#requests++;
  }

  countModel(model: string): void {
    this.#byModel[model] = (this.#byModel[model] ?? 0) + 1;
  }

  countScenarios(names: readonly string[]): void {
    for (const name of names) this.#byScenario[name] = (this.#byScenario[name] ?? 0) + 1;
  }

  snapshot(openConnections: number): SimulatorStats {
    return {
      requests: this.#requests,
      openConnections,
      byModel: { ...this.#byModel },
      byScenario: { ...this.#byScenario },
    };
  }

  reset(): void {
    this.#requests = 0;
    this.#byModel = {};
    this.#byScenario = {};
  }
}
