import { silentLogger, type Logger } from '../logging/logger.js';
import type { RequestFacts, RequestObserver } from '../telemetry/request-facts.js';
import {
  CostCapBreakerPolicy,
  type DeploymentCostCapStatus,
  type OpenBreaker,
} from './cost-cap-breaker.js';
import { LatencyDowngradePolicy, type TierLatencyStatus } from './latency-downgrade.js';
import { DEFAULT_POLICY_CONFIG, type PolicyConfig } from './policy-config.js';
import { describeChange, type PolicyChange } from './policy-change.js';
import { SchemaPausePolicy, type ModelSchemaStatus } from './schema-pause.js';
import { WebhookNotifier } from './webhook-notifier.js';

export interface PolicyEngineOptions {
  /** Tier names lightest first (`config.tierOrder`): "one tier cheaper" reads it. */
  tierOrder: readonly string[];
  config?: PolicyConfig;
  /** Epoch ms; default `Date.now`. Tests pass a fake. */
  now?: () => number;
  logger?: Logger;
  /** The fallback tier, whose breakers policy (c) never opens. */
  fallbackTier?: string | undefined;
  /** How policy (c) opens a breaker; without it the change is only reported. */
  openBreaker?: OpenBreaker;
  /** Told of every change, e.g. to count it (`Telemetry.metrics.recordPolicyChange`). */
  onChange?: (change: PolicyChange) => void;
  /** Where changes are posted; default one for `config.webhookUrl`, if set. */
  webhook?: WebhookNotifier;
}

/** Everything `GET /admin/policies` shows. */
export interface PolicyListing {
  latency: {
    enabled: boolean;
    quantile: number;
    windowMs: number;
    taskTypes: string[];
    tiers: TierLatencyStatus[];
  };
  schema: {
    enabled: boolean;
    maxFailureRate: number;
    windowMs: number;
    minSamples: number;
    models: ModelSchemaStatus[];
  };
  costCap: {
    enabled: boolean;
    breaches: number;
    windowMs: number;
    deployments: DeploymentCostCapStatus[];
  };
  /** The latest changes, newest first (at most 50). */
  recentChanges: PolicyChange[];
}

const RECENT_CHANGES = 50;

/**
 * The self-steering policies, in process, fed by every finished request
 * (register it as a `Telemetry` observer). Routing asks it two questions:
 * `adjustTier` (which tier a task type starts on) and `isPaused` (whether a
 * model is passed over). Each change is logged, counted through `onChange`,
 * kept for `GET /admin/policies`, and posted to the webhook if there is one.
 *
 * State is per process: replicas steer each on what they have seen, and a
 * restart forgets every pause and downgrade.
 */
export class PolicyEngine implements RequestObserver {
  readonly config: PolicyConfig;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #latency: LatencyDowngradePolicy;
  readonly #schema: SchemaPausePolicy;
  readonly #costCap: CostCapBreakerPolicy;
  #openBreaker: OpenBreaker | undefined;
  readonly #onChange: ((change: PolicyChange) => void) | undefined;
  readonly #webhook: WebhookNotifier | undefined;
  readonly #recent: PolicyChange[] = [];
  readonly #pending = new Set<Promise<void>>();

  constructor(options: PolicyEngineOptions) {
    this.config = options.config ?? DEFAULT_POLICY_CONFIG;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? silentLogger();
    this.#latency = new LatencyDowngradePolicy({
      config: this.config.latency,
      tierOrder: options.tierOrder,
    });
    this.#schema = new SchemaPausePolicy({ config: this.config.schema });
    const fallbackPrefix = options.fallbackTier ? `${options.fallbackTier}/` : undefined;
    this.#costCap = new CostCapBreakerPolicy({
      config: this.config.costCap,
      exempt: (deploymentId) =>
        fallbackPrefix !== undefined && deploymentId.startsWith(fallbackPrefix),
    });
    this.#openBreaker = options.openBreaker;
    this.#onChange = options.onChange;
    const url = this.config.webhookUrl;
    this.#webhook =
      options.webhook ?? (url ? new WebhookNotifier({ url, logger: this.#logger }) : undefined);
  }

  /**
   * Sets how policy (c) opens a breaker, for a gateway that builds its
   * breakers after the policies (they need the policies' pause check).
   */
  setBreakerOpener(openBreaker: OpenBreaker): void {
    this.#openBreaker = openBreaker;
  }

  /** Learns from one finished request. */
  observe(facts: RequestFacts): void {
    const nowMs = this.#now();
    this.#emit([
      ...this.#latency.observe(facts, nowMs),
      ...this.#schema.observe(facts, nowMs),
      ...this.#costCap.observe(facts, nowMs),
    ]);
  }

  /** The tier a request of `taskType` planned for `tier` should start on. */
  adjustTier(taskType: string, tier: string): string {
    const adjusted = this.#latency.adjust({ taskType, tier, nowMs: this.#now() });
    this.#emit(adjusted.changes);
    return adjusted.tier;
  }

  /**
   * Whether routing must pass `model` over now. When a paused model's probe
   * is due this answers false once, and that caller's attempt is the probe;
   * so call it only when about to send (the gate's `isPaused` hook), and use
   * `list()` to look.
   */
  isPaused(model: string): boolean {
    return this.#schema.isPaused(model, this.#now());
  }

  /** An operator's resume of a paused model or a downgraded tier. */
  resume(target: { model?: string | undefined; tier?: string | undefined }): PolicyChange[] {
    const nowMs = this.#now();
    const changes = [
      ...(target.model !== undefined ? this.#schema.resume(target.model, nowMs) : []),
      ...(target.tier !== undefined ? this.#latency.clear(target.tier, nowMs) : []),
    ];
    this.#emit(changes);
    return changes;
  }

  list(): PolicyListing {
    const nowMs = this.#now();
    const { latency, schema, costCap } = this.config;
    return {
      latency: {
        enabled: latency.enabled,
        quantile: latency.quantile,
        windowMs: latency.windowMs,
        taskTypes: latency.taskTypes,
        tiers: this.#latency.status(nowMs),
      },
      schema: {
        enabled: schema.enabled,
        maxFailureRate: schema.maxFailureRate,
        windowMs: schema.windowMs,
        minSamples: schema.minSamples,
        models: this.#schema.status(nowMs),
      },
      costCap: {
        enabled: costCap.enabled,
        breaches: costCap.breaches,
        windowMs: costCap.windowMs,
        deployments: this.#costCap.status(nowMs),
      },
      recentChanges: [...this.#recent],
    };
  }

  /** Resolves once breaker openings and webhook posts begun so far have ended. */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
    await this.#webhook?.flush();
  }

  #emit(changes: PolicyChange[]): void {
    for (const change of changes) {
      this.#recent.unshift(change);
      if (this.#recent.length > RECENT_CHANGES) this.#recent.pop();
      const line = { policy: change.policy, action: change.action, subject: change.subject };
      const log = change.action === 'activated' ? this.#logger.warn : this.#logger.info;
      log.call(
        this.#logger,
        Object.assign({}, line, { details: change.details }),
        describeChange(change),
      );
      this.#guard(() => this.#onChange?.(change));
      this.#webhook?.notify(change);
      if (change.policy === 'cost_cap_breaker' && change.action === 'activated') {
        this.#open(change);
      }
    }
  }

  #open(change: PolicyChange): void {
    const untilMs = Number(change.details.open_until_ms);
    const opening = (async () => {
      try {
        await this.#openBreaker?.({ deploymentId: change.subject, untilMs, nowMs: change.atMs });
      } catch (error) {
        this.#logger.error({ err: error, deployment: change.subject }, 'could not open breaker');
      }
    })();
    const tracked = opening.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#logger.warn({ err: error }, 'policy change listener failed');
    }
  }
}
