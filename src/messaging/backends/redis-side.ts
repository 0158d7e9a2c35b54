// The Redis queue's side state: a rate-limit window is one key per queue (SET PX at its first take,
// INCRBY inside a script, so every instance shares it atomically); progress is one key per job.
import type { Redis } from 'ioredis';
import type { QueueSideState } from '../queue-side.js';

// KEYS[1] window; ARGV want, max, perMs. Returns { granted, ms left in the window }.
const TAKE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '-1')
if used < 0 then
  redis.call('SET', KEYS[1], 0, 'PX', ARGV[3])
  used = 0
end
local grant = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if grant < 0 then grant = 0 end
if grant > 0 then redis.call('INCRBY', KEYS[1], grant) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = tonumber(ARGV[3]) end
return { grant, ttl }
`;
// KEYS[1] window; ARGV n. Only while the window is open.
const GIVE_BACK = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local left = redis.call('DECRBY', KEYS[1], ARGV[1])
  if left < 0 then redis.call('SET', KEYS[1], 0, 'KEEPTTL') end
end
return 0
`;

/** `key(queue, part)` names a key in the queue's hash slot (`<prefix>{queue}:part`). */
export function redisSideState(client: Redis, key: (queue: string, part: string) => string, call: <T>(fn: () => Promise<T>) => Promise<T>): QueueSideState {
  return {
    async take(queue, want, limit) {
      const [granted, ttl] = (await call(() => client.eval(TAKE, 1, key(queue, 'rate'), want, limit.max, limit.perMs))) as [number, number];
      return { granted: Number(granted), retryInMs: Number(ttl) };
    },
    async giveBack(queue, n) {
      await call(() => client.eval(GIVE_BACK, 1, key(queue, 'rate'), n));
    },
    async setProgress(queue, id, value, ttlMs) {
      await call(() => client.set(key(queue, `progress:${id}`), value, 'PX', ttlMs));
    },
    async getProgress(queue, id) {
      return (await call(() => client.get(key(queue, `progress:${id}`)))) ?? undefined;
    },
  };
}
