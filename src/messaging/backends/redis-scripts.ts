// Lua scripts of the Redis streams queue: each state change is one atomic script.
// Stream entry fields (the wire format, see docs/messaging.md): id, payload (JSON),
// attempts (deliveries before this entry), maxAttempts, enqueuedAt, priority, lastError.

const REVIVE = `
local function revive(stream, j)
  redis.call('XADD', stream, '*', 'id', j.id, 'payload', j.payload, 'attempts', tostring(j.attempts), 'maxAttempts', tostring(j.maxAttempts),
    'enqueuedAt', tostring(j.enqueuedAt), 'priority', tostring(j.priority or 0), 'lastError', j.lastError or '')
end
local function fields(e)
  local f = {}
  for i = 1, #e, 2 do f[e[i]] = e[i + 1] end
  return f
end
local function owned(stream, group, sid, deliveries)
  local p = redis.call('XPENDING', stream, group, sid, sid, 1)
  return #p == 1 and tostring(p[1][4]) == deliveries
end
`;

/** KEYS: stream, delayed, idem (or same as stream when unused). ARGV: id, payload, maxAttempts, enqueuedAt, priority, runAt, now, retentionMs, useIdem. */
export const ENQUEUE = `${REVIVE}
if ARGV[9] == '1' then
  local existing = redis.call('GET', KEYS[3])
  if existing then return {existing, 1} end
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[8])
end
local j = {id = ARGV[1], payload = ARGV[2], attempts = 0, maxAttempts = tonumber(ARGV[3]), enqueuedAt = tonumber(ARGV[4]), priority = tonumber(ARGV[5])}
if tonumber(ARGV[6]) > tonumber(ARGV[7]) then
  redis.call('ZADD', KEYS[2], ARGV[6], cjson.encode(j))
else
  revive(KEYS[1], j)
end
return {ARGV[1], 0}
`;

/**
 * KEYS: stream, delayed, paused, dead. ARGV: group, consumer, count, leaseMs, now.
 * Returns flat triples [streamId, deliveries, {fields...}] for each delivered entry.
 */
export const CLAIM = `${REVIVE}
if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[5], 'LIMIT', 0, 500)
for _, m in ipairs(due) do
  revive(KEYS[1], cjson.decode(m))
  redis.call('ZREM', KEYS[2], m)
end
local want = tonumber(ARGV[3])
local out = {}
local function take(entries)
  for _, e in ipairs(entries) do
    if e and e[2] then
      local f = fields(e[2])
      local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
      local n = p[1][4]
      if (tonumber(f.attempts) or 0) + n > (tonumber(f.maxAttempts) or 5) then
        -- its last delivery's lease ran out: dead-letter instead of delivering again
        f.attempts = (tonumber(f.attempts) or 0) + n - 1
        f.lastError = 'lease expired: the worker did not finish in time'
        f.deadAt = tonumber(ARGV[5])
        redis.call('XACK', KEYS[1], ARGV[1], e[1])
        redis.call('XDEL', KEYS[1], e[1])
        redis.call('HSET', KEYS[4], f.id or e[1], cjson.encode(f))
      else
        out[#out + 1] = e[1]
        out[#out + 1] = n
        out[#out + 1] = e[2]
      end
    end
  end
end
local rec = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[4], '0-0', 'COUNT', want)
take(rec[2])
local left = want - #out / 3
if left > 0 then
  local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', left, 'STREAMS', KEYS[1], '>')
  if r then take(r[1][2]) end
end
return out
`;

/** KEYS: stream. ARGV: group, streamId, deliveries. */
export const ACK = `${REVIVE}
if not owned(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
`;

/**
 * KEYS: stream, delayed, dead. ARGV: group, streamId, deliveries, mode ('retry' | 'dead' | 'release'), jobJson, runAt.
 * jobJson carries the attempts already used and the last error.
 */
export const SETTLE = `${REVIVE}
if not owned(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
local j = cjson.decode(ARGV[5])
if ARGV[4] == 'retry' then redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
elseif ARGV[4] == 'dead' then redis.call('HSET', KEYS[3], j.id, ARGV[5])
else revive(KEYS[1], j) end
return 1
`;

/** KEYS: stream, dead. ARGV: ids... (none = all). Moves dead jobs back with a fresh attempt count. */
export const RETRY_DEAD = `${REVIVE}
local ids = ARGV
if #ids == 0 then ids = redis.call('HKEYS', KEYS[2]) end
local n = 0
for _, id in ipairs(ids) do
  local m = redis.call('HGET', KEYS[2], id)
  if m then
    local j = cjson.decode(m)
    j.attempts = 0
    j.lastError = nil
    revive(KEYS[1], j)
    redis.call('HDEL', KEYS[2], id)
    n = n + 1
  end
end
return n
`;
