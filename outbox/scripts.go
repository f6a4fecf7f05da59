package outbox

import "github.com/redis/go-redis/v9"

// The outbox's state changes are Lua scripts so each is atomic across
// replicas. Entry bodies are read and written under keyspace-prefixed keys
// built inside the scripts: the outbox needs a single Redis (no cluster).

// enqueueScript claims the message ID (SET NX with TTL) and, only if the
// claim is new, stores the entry and appends it to its recipient's lane.
// Only a lane's head is in the ready set, so messages to one recipient go
// out one at a time, in the order they were sent.
// The lanes hash remembers each pending message's lane key, so a lane
// never stays blocked even behind an unreadable or vanished entry.
// KEYS: idKey, msgKey, ready, laneKey, queued, lanes. ARGV: id, body, due(ms), idTTL(ms).
var enqueueScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[4]) then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[6], ARGV[1], KEYS[4])
if redis.call('RPUSH', KEYS[4], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
end
return 1`)

// claimScript leases the earliest due entry. Returns {id, wait, body}:
// id "" when nothing is due, with wait the ms until the next due entry
// (or the rate-limit hold), -1 when the queue is empty.
// An entry whose body vanished is dropped and its lane moves on.
// KEYS: ready, lease, owner, hold, queued, lanes. ARGV: now, leaseUntil, token, msgPrefix.
var claimScript = redis.NewScript(`
local hold = redis.call('PTTL', KEYS[4])
if hold > 0 then return {'', hold, ''} end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #ids == 0 then
  local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #nxt == 0 then return {'', -1, ''} end
  return {'', tonumber(nxt[2]) - tonumber(ARGV[1]), ''}
end
local id = ids[1]
redis.call('ZREM', KEYS[1], id)
local body = redis.call('GET', ARGV[4] .. id)
if not body then
  redis.call('ZREM', KEYS[5], id)
  local lane = redis.call('HGET', KEYS[6], id)
  redis.call('HDEL', KEYS[6], id)
  if lane then
    redis.call('LREM', lane, 1, id)
    local head = redis.call('LINDEX', lane, 0)
    if head then redis.call('ZADD', KEYS[1], ARGV[1], head) end
  end
  return {'', 0, ''}
end
redis.call('ZADD', KEYS[2], ARGV[2], id)
redis.call('HSET', KEYS[3], id, ARGV[3])
return {id, 0, body}`)

// finishScript ends a message for good, if this worker still holds its
// lease: delivered (mode "done": the body is deleted) or dead (mode
// "dead": the body is saved and the id added to the dead set). Either way
// the lane's next message becomes ready.
// KEYS: lease, owner, msgKey, laneKey (fallback), ready, queued, dead, lanes.
// ARGV: id, token, now, mode, body.
var finishScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
local lane = redis.call('HGET', KEYS[8], ARGV[1]) or KEYS[4]
redis.call('HDEL', KEYS[8], ARGV[1])
redis.call('LREM', lane, 1, ARGV[1])
local head = redis.call('LINDEX', lane, 0)
if head then redis.call('ZADD', KEYS[5], ARGV[3], head) end
if ARGV[4] == 'done' then
  redis.call('DEL', KEYS[3])
else
  redis.call('SET', KEYS[3], ARGV[5])
  redis.call('ZADD', KEYS[7], ARGV[3], ARGV[1])
end
return 1`)

// progressScript saves the entry (parts delivered so far) and extends the
// lease. KEYS: lease, owner, msgKey. ARGV: id, token, body, leaseUntil.
var progressScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
return 1`)

// releaseScript ends a lease and puts the message back in the ready set
// (still its lane's head) with its new due time.
// KEYS: lease, owner, msgKey, ready. ARGV: id, token, body, due.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return 1`)

// reapScript returns entries whose lease expired (a worker crashed or was
// killed) to the ready queue. KEYS: lease, owner, ready. ARGV: now, limit.
var reapScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZADD', KEYS[3], ARGV[1], id)
end
return #ids`)

// requeueScript moves a dead letter back to the end of its lane.
// KEYS: dead, msgKey, ready, laneKey, queued, lanes. ARGV: id, body, now.
var requeueScript = redis.NewScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[6], ARGV[1], KEYS[4])
if redis.call('RPUSH', KEYS[4], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
end
return 1`)

// paceScript is a sliding-window rate limiter over several subjects at
// once (each member, the corp): either every window has room and the send
// is counted in all of them, or nothing is counted and the script returns
// the ms until the fullest window has room.
// KEYS: one sorted set per subject. ARGV: now, window(ms), member, limit...
var paceScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local wait = 0
for i, k in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now - win)
  local lim = tonumber(ARGV[3 + i])
  local n = redis.call('ZCARD', k)
  if n >= lim then
    local oldest = redis.call('ZRANGE', k, n - lim, n - lim, 'WITHSCORES')
    local w = tonumber(oldest[2]) + win - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
for i, k in ipairs(KEYS) do
  redis.call('ZADD', k, now, ARGV[3])
  redis.call('PEXPIRE', k, win)
end
return 0`)
