import type { RequestFacts } from '../telemetry/request-facts.js';
import { validationFacts } from '../telemetry/request-facts.js';
import type { PolicyConfig } from './policy-config.js';
import type { PolicyChange } from './policy-change.js';
import { RatioWindow } from './ratio-window.js';

/** One model as `GET /admin/policies` shows it. */
export interface ModelSchemaStatus {
  model: string;
  failureRate: number;
  samples: number;
  failures: number;
  paused: boolean;
  pausedAtMs?: number;
  /** When the next probe may go; while a probe is out, when it counts as lost. */
  nextProbeAtMs?: number;
  probeInFlight?: boolean;
}

interface Pause {
  atMs: number;
  nextProbeAtMs: number;
  probeInFlight: boolean;
}

/**
 * Policy (b): a model whose answers fail their schema more often than
 * `maxFailureRate` over the window (with `minSamples` answers at least) is
 * paused, so the next deployment or tier serves instead. Every
 * `probeIntervalMs` one request is let through as a probe; a valid answer
 * resumes the model with its window emptied, an invalid one keeps it paused.
 * A probe that brings no verdict (a timeout, say) is written off when the
 * next probe falls due. An operator can resume a model at any time.
 *
 * A request pinned to a paused model has no other deployment to go to, so it
 * fails with "no deployment is available" until a probe succeeds.
 */
export class SchemaPausePolicy {
  readonly #config: PolicyConfig['schema'];
  readonly #windows = new Map<string, RatioWindow>();
  readonly #paused = new Map<string, Pause>();

  constructor(options: { config: PolicyConfig['schema'] }) {
    this.#config = options.config;
  }

  observe(facts: RequestFacts, nowMs: number): PolicyChange[] {
    if (!this.#config.enabled) return [];
    // A caller's own schema (inline) may be unsatisfiable; pausing a model for
    // everyone because of it would let one caller steer the others' routing.
    if (facts.callerSchema) return [];

    const changes: PolicyChange[] = [];
    for (const verdict of validationFacts(facts)) {
      const invalid = verdict.status === 'invalid';
      const pause = this.#paused.get(verdict.model);
      if (pause) {
        changes.push(...this.#probed(verdict.model, { pause, invalid, nowMs }));
        continue;
      }
      this.#window(verdict.model).record({ hit: invalid, nowMs });
      changes.push(...this.#evaluate(verdict.model, nowMs));
    }
    return changes;
  }

  /**
   * Whether routing must pass the model over now. When a paused model's probe
   * is due this answers false once, and that caller's request is the probe.
   */
  isPaused(model: string, nowMs: number): boolean {
    const pause = this.#paused.get(model);
    if (!pause) return false;
    if (nowMs < pause.nextProbeAtMs) return true;

    pause.probeInFlight = true;
    pause.nextProbeAtMs = nowMs + this.#config.probeIntervalMs;
    return false;
  }

  resume(model: string, nowMs: number): PolicyChange[] {
    if (!this.#paused.has(model)) return [];
    return [this.#resume(model, { nowMs, reason: 'An operator resumed the model.' })];
  }

  status(nowMs: number): ModelSchemaStatus[] {
    const models = new Set([...this.#windows.keys(), ...this.#paused.keys()]);
    return [...models].map((model) => {
      const totals = this.#window(model).totals(nowMs);
      const pause = this.#paused.get(model);
      return {
        model,
        failureRate: totals.ratio,
        samples: totals.total,
        failures: totals.hits,
        paused: pause !== undefined,
        ...(pause
          ? {
              pausedAtMs: pause.atMs,
              nextProbeAtMs: pause.nextProbeAtMs,
              probeInFlight: pause.probeInFlight,
            }
          : {}),
      };
    });
  }

  #evaluate(model: string, nowMs: number): PolicyChange[] {
    const totals = this.#window(model).totals(nowMs);
    if (totals.total < this.#config.minSamples) return [];
    if (totals.ratio <= this.#config.maxFailureRate) return [];

    this.#paused.set(model, {
      atMs: nowMs,
      nextProbeAtMs: nowMs + this.#config.probeIntervalMs,
      probeInFlight: false,
    });
    const minutes = Math.round(this.#config.windowMs / 60_000);
    const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
    return [
      {
        policy: 'schema_pause',
        action: 'activated',
        subject: model,
        reason:
          `${totals.hits} of ${totals.total} answers in the last ${minutes} min failed ` +
          `their schema (${percent(totals.ratio)}, limit ${percent(this.#config.maxFailureRate)}); ` +
          `other deployments serve until a probe succeeds or an operator resumes it.`,
        atMs: nowMs,
        details: {
          model,
          failure_rate: totals.ratio,
          failures: totals.hits,
          samples: totals.total,
        },
      },
    ];
  }

  #probed(model: string, input: { pause: Pause; invalid: boolean; nowMs: number }): PolicyChange[] {
    const { pause, invalid, nowMs } = input;
    if (!invalid) return [this.#resume(model, { nowMs, reason: 'A probe request validated.' })];

    // A failed probe: stay paused; the next one goes after a full interval.
    pause.probeInFlight = false;
    pause.nextProbeAtMs = nowMs + this.#config.probeIntervalMs;
    return [];
  }

  #resume(model: string, input: { nowMs: number; reason: string }): PolicyChange {
    this.#paused.delete(model);
    // The failures that caused the pause would pause it again at once.
    this.#windows.get(model)?.clear();
    return {
      policy: 'schema_pause',
      action: 'cleared',
      subject: model,
      reason: input.reason,
      atMs: input.nowMs,
      details: { model },
    };
  }

  #window(model: string): RatioWindow {
    let window = this.#windows.get(model);
    if (!window) {
      window = new RatioWindow({ windowMs: this.#config.windowMs });
      this.#windows.set(model, window);
    }
    return window;
  }
}
