import type { Redis } from 'ioredis';
import type { RateLimitSnapshot } from '../resilience/rate-limit-headers.js';
import type {
  DeploymentRateLimit,
  RateLimitTrackerState,
} from '../resilience/rate-limit-tracker.js';
import { RedisScript } from './redis-script.js';
import { definedFields, type SharedRateLimitStore } from './shared-rate-limit-store.js';

const SNAPSHOT_FIELDS = [
  'remainingRequests',
  'remainingTokens',
  'limitRequests',
  'limitTokens',
  'requestsResetAtMs',
  'tokensResetAtMs',
  'remainingOutputTokens',
  'limitOutputTokens',
  'outputTokensResetAtMs',
] as const satisfies readonly (keyof RateLimitSnapshot)[];

// Keeps a deployment's hash for the retention time, and in any case until
// its cool-down and every reset time it holds have passed.
const KEEP = `
local function keep(key, now, retention)
  local untilMs = now + retention
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    local name = fields[i]
    if name == 'coolDownUntilMs' or string.sub(name, -9) == 'ResetAtMs' then
      local at = tonumber(fields[i + 1])
      if at and at > untilMs then untilMs = at end
    end
  end
  redis.call('PEXPIRE', key, math.ceil(untilMs - now))
end
`;

// KEYS: the deployment's hash, the set of ids. ARGV: id, now, retention,
// then field/value pairs.
const OBSERVE = new RedisScript(`${KEEP}
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('SADD', KEYS[2], ARGV[1])
keep(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
return 1
`);

// KEYS: as above. ARGV: id, now, retention, the new deadline. The stored
// text of the later deadline is kept as it was sent, never re-formatted.
const COOL_DOWN = new RedisScript(`${KEEP}
local current = tonumber(redis.call('HGET', KEYS[1], 'coolDownUntilMs'))
if current == nil or tonumber(ARGV[4]) > current then
  redis.call('HSET', KEYS[1], 'coolDownUntilMs', ARGV[4])
end
redis.call('SADD', KEYS[2], ARGV[1])
keep(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
return redis.call('HGET', KEYS[1], 'coolDownUntilMs')
`);

// KEYS: the set of ids, then each id's hash. ARGV: the ids. Forgets an id
// only if its hash is still gone, in case another replica wrote it again.
const FORGET_EXPIRED = new RedisScript(`
for i, id in ipairs(ARGV) do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then redis.call('SREM', KEYS[1], id) end
end
return 1
`);

export interface RedisRateLimitStoreOptions {
  redis: Redis;
  /** Put before every key, e.g. `switchyard:`. */
  keyPrefix?: string;
  /**
   * How long a deployment's figures are kept after its last change, at least
   * (a cool-down or reset time further out keeps them longer). Default 1 hour.
   */
  retentionMs?: number;
}

/**
 * A `SharedRateLimitStore` in Redis: one hash per deployment, written by
 * Lua scripts so that a cool-down deadline only ever moves later, whichever
 * replicas race to set it. Figures from responses that arrive out of order
 * can briefly show a larger remaining count, as in the local tracker; the
 * next response corrects it. Times are epoch ms on the replicas' clocks,
 * which are assumed to agree to well within a cool-down.
 */
export class RedisRateLimitStore implements SharedRateLimitStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #retentionMs: number;

  constructor(options: RedisRateLimitStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix ?? 'switchyard:';
    this.#retentionMs = options.retentionMs ?? 60 * 60_000;
  }

  async observe(input: {
    deploymentId: string;
    snapshot: RateLimitSnapshot;
    nowMs: number;
  }): Promise<void> {
    const pairs = Object.entries(definedFields(input.snapshot)).flatMap(([name, value]) => [
      name,
      String(value),
    ]);
    if (pairs.length === 0) return;

    await OBSERVE.run(this.#redis, {
      keys: [this.#key(input.deploymentId), this.#idsKey()],
      args: [input.deploymentId, input.nowMs, this.#retentionMs, ...pairs],
    });
  }

  async coolDown(input: { deploymentId: string; untilMs: number; nowMs: number }): Promise<number> {
    if (!Number.isFinite(input.untilMs))
      throw new RangeError(`untilMs must be finite, got ${input.untilMs}`);

    const reply = await COOL_DOWN.run(this.#redis, {
      keys: [this.#key(input.deploymentId), this.#idsKey()],
      args: [input.deploymentId, input.nowMs, this.#retentionMs, String(input.untilMs)],
    });
    return Number(reply);
  }

  async exportState(): Promise<RateLimitTrackerState> {
    const ids = (await this.#redis.smembers(this.#idsKey())).sort();
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.#key(id));
    const replies = ids.length > 0 ? ((await pipeline.exec()) ?? []) : [];

    const deployments: Record<string, DeploymentRateLimit> = {};
    const expired: string[] = [];
    for (const [index, id] of ids.entries()) {
      const [error, hash] = replies[index] ?? [null, {}];
      if (error) throw error;
      const state = toDeploymentRateLimit(hash as Record<string, string>);
      if (state) deployments[id] = state;
      else expired.push(id);
    }
    if (expired.length > 0) {
      await FORGET_EXPIRED.run(this.#redis, {
        keys: [this.#idsKey(), ...expired.map((id) => this.#key(id))],
        args: expired,
      });
    }
    return { deployments };
  }

  #key(deploymentId: string): string {
    return `${this.#prefix}ratelimit:${deploymentId}`;
  }

  #idsKey(): string {
    return `${this.#prefix}ratelimits`;
  }
}

function toDeploymentRateLimit(hash: Record<string, string>): DeploymentRateLimit | undefined {
  if (Object.keys(hash).length === 0) return undefined;

  const snapshot: RateLimitSnapshot = {};
  for (const field of SNAPSHOT_FIELDS) {
    const value = Number(hash[field]);
    if (hash[field] !== undefined && Number.isFinite(value)) snapshot[field] = value;
  }
  const coolDownUntilMs = Number(hash['coolDownUntilMs']);
  return hash['coolDownUntilMs'] !== undefined && Number.isFinite(coolDownUntilMs)
    ? { snapshot, coolDownUntilMs }
    : { snapshot };
}
