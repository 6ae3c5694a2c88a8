import type { Redis } from 'ioredis';
import {
  fromNanoUsd,
  toNanoUsd,
  type BudgetStore,
  type ReserveInput,
  type ReserveOutcome,
  type SettleInput,
  type WindowUsage,
} from './budget-store.js';
import { RedisScript, type ScriptReply } from './redis-script.js';

// Each window is one hash: `spent` (nano-USD) and one `r:<id>` field per
// reservation, holding `<amount nano>:<expires at ms>`. Expired reservations
// are removed while their window is read, inside the script.
const LIVE_FIGURES = `
local function figures(key, now)
  local spent, reserved = 0, 0
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    local name, value = fields[i], fields[i + 1]
    if name == 'spent' then
      spent = tonumber(value)
    elseif string.sub(name, 1, 2) == 'r:' then
      local sep = string.find(value, ':', 1, true)
      local amount = tonumber(string.sub(value, 1, sep - 1))
      if tonumber(string.sub(value, sep + 1)) <= now then
        redis.call('HDEL', key, name)
      else
        reserved = reserved + amount
      end
    end
  end
  return spent, reserved
end
`;

// KEYS: one hash per window. ARGV: reservation id, amount, now, expiry, then
// per window its limit (-1 for none) and how many ms more to keep it.
const RESERVE = new RedisScript(`${LIVE_FIGURES}
local field = 'r:' .. ARGV[1]
local amount, now = tonumber(ARGV[2]), tonumber(ARGV[3])
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 + 2 * i])
  local spent, reserved = figures(key, now)
  if limit >= 0 and spent + reserved + amount > limit then
    return {0, i, spent, reserved}
  end
end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, field, ARGV[2] .. ':' .. ARGV[4])
  redis.call('PEXPIRE', key, ARGV[4 + 2 * i])
end
return {1}
`);

// KEYS: one hash per window. ARGV: reservation id, cost, then per window how
// many ms more to keep it.
const SETTLE = new RedisScript(`
local field = 'r:' .. ARGV[1]
for i, key in ipairs(KEYS) do
  redis.call('HDEL', key, field)
  redis.call('HINCRBY', key, 'spent', ARGV[2])
  redis.call('PEXPIRE', key, ARGV[2 + i])
end
return 1
`);

const USAGE = new RedisScript(`${LIVE_FIGURES}
local result = {}
for i, key in ipairs(KEYS) do
  local spent, reserved = figures(key, tonumber(ARGV[1]))
  result[i] = {spent, reserved}
end
return result
`);

export interface RedisBudgetStoreOptions {
  redis: Redis;
  /** Put before every key, e.g. `switchyard:`. */
  keyPrefix?: string;
}

/**
 * A `BudgetStore` in Redis, shared by every replica. A reservation is one
 * Lua script, which Redis runs atomically: it drops lapsed reservations,
 * checks spent + reserved + amount against the limit of every window, and
 * only if all pass holds the amount in each. A window's hash expires at its
 * retention time, so old days and months clean themselves up. Reservation
 * expiry is judged on the replicas' clocks (`nowMs`), which are assumed to
 * agree to well within a reservation's TTL.
 *
 * Both windows of a key share a hash tag (`{keyId}`), so the script's keys
 * land in one slot should the store ever run on Redis Cluster.
 */
export class RedisBudgetStore implements BudgetStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisBudgetStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix ?? 'switchyard:';
  }

  async reserve(input: ReserveInput): Promise<ReserveOutcome> {
    const amountNano = toNanoUsd(input.amountUsd);
    const windowArgs = input.windows.flatMap((window) => [
      window.limitUsd === null ? -1 : toNanoUsd(window.limitUsd),
      keepMs(Math.max(window.retainUntilMs, input.expiresAtMs), input.nowMs),
    ]);
    const reply = await RESERVE.run(this.#redis, {
      keys: input.windows.map((window) => this.#key(input.keyId, window.id)),
      args: [
        input.reservationId,
        amountNano,
        input.nowMs,
        Math.ceil(input.expiresAtMs),
        ...windowArgs,
      ],
    });
    const [admitted, index, spentNano, reservedNano] = numbers(reply);
    if (admitted === 1) return { ok: true };

    const window = input.windows[(index ?? 1) - 1]!;
    return {
      ok: false,
      windowId: window.id,
      limitUsd: window.limitUsd ?? 0,
      spentUsd: fromNanoUsd(spentNano ?? 0),
      reservedUsd: fromNanoUsd(reservedNano ?? 0),
    };
  }

  async settle(input: SettleInput): Promise<void> {
    await SETTLE.run(this.#redis, {
      keys: input.windows.map((window) => this.#key(input.keyId, window.id)),
      args: [
        input.reservationId,
        toNanoUsd(input.costUsd),
        ...input.windows.map((window) => keepMs(window.retainUntilMs, input.nowMs)),
      ],
    });
  }

  async usage(input: {
    keyId: string;
    windowIds: string[];
    nowMs: number;
  }): Promise<WindowUsage[]> {
    const reply = await USAGE.run(this.#redis, {
      keys: input.windowIds.map((windowId) => this.#key(input.keyId, windowId)),
      args: [input.nowMs],
    });
    const rows = Array.isArray(reply) ? reply : [];
    return input.windowIds.map((windowId, index) => {
      const [spentNano = 0, reservedNano = 0] = numbers(rows[index] ?? null);
      return { windowId, spentUsd: fromNanoUsd(spentNano), reservedUsd: fromNanoUsd(reservedNano) };
    });
  }

  #key(keyId: string, windowId: string): string {
    return `${this.#prefix}budget:{${keyId}}:${windowId}`;
  }
}

/**
 * Expiry goes to Redis as a duration from our `nowMs`, not as an epoch time:
 * Redis's clock then does not have to agree with ours (nor with a test's
 * fake one) for a window to live as long as it should.
 */
function keepMs(untilMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil(untilMs - nowMs));
}

function numbers(reply: ScriptReply): number[] {
  if (!Array.isArray(reply))
    throw new Error(`unexpected reply from a budget script: ${String(reply)}`);
  return reply.map((item) => Number(item));
}
