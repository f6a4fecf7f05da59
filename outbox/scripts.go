package outbox

import "github.com/redis/go-redis/v9"

// The outbox's state changes are Lua scripts so each is atomic across
// replicas. Entry bodies are read and written under keyspace-prefixed keys
// built inside the scripts; every outbox key has the {outbox} hash tag
// (keys.Outbox), so they all run on one Redis Cluster slot.
//
// Every time the scripts compare or store — lease expiry, due times,
// pacing windows — is Redis's own clock (TIME, via clockLua), never the
// calling replica's: replicas whose clocks differ by minutes or hours
// still agree when a lease has run out, so a skewed replica neither takes
// over a live delivery (a double send) nor leaves a dead one for an hour.
// A script's "clock" argument is "" for Redis's clock; only tests pass
// milliseconds (Options.QueueClock).

// clockLua is the time in ms: the script's clock argument when set (tests),
// else Redis's TIME. Scripts calling TIME are replicated by their effects
// (the default since Redis 5; explicit for older servers).
const clockLua = `
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// enqueueScript claims the message ID (SET NX with TTL) and, only if the
// claim is new, stores the entry and appends it to its recipient's lane.
// Only a lane's head is in the ready set, so messages to one recipient go
// out one at a time, in the order they were sent.
// The lanes hash remembers each pending message's lane key, so a lane
// never stays blocked even behind an unreadable or vanished entry.
// KEYS: idKey, msgKey, ready, laneKey, lanes. ARGV: id, body, clock, idTTL(ms).
var enqueueScript = redis.NewScript(clockLua + `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[4]) then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[5], ARGV[1], KEYS[4])
if redis.call('RPUSH', KEYS[4], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[3], clock(ARGV[3]), ARGV[1])
end
return 1`)

// finishScript ends a message for good, if this worker still holds its
// lease: delivered (mode "done": the body is deleted) or dead (mode
// "dead": the body is saved and the id added to the dead set). Either way
// the lane's next message becomes ready.
// KEYS: lease, owner, msgKey, laneKey (fallback), ready, dead, lanes.
// ARGV: id, token, clock, mode, body.
var finishScript = redis.NewScript(clockLua + `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
local now = clock(ARGV[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local lane = redis.call('HGET', KEYS[7], ARGV[1]) or KEYS[4]
redis.call('HDEL', KEYS[7], ARGV[1])
redis.call('LREM', lane, 1, ARGV[1])
local head = redis.call('LINDEX', lane, 0)
if head then redis.call('ZADD', KEYS[5], now, head) end
if ARGV[4] == 'done' then
  redis.call('DEL', KEYS[3])
else
  redis.call('SET', KEYS[3], ARGV[5])
  redis.call('ZADD', KEYS[6], now, ARGV[1])
end
return 1`)

// progressScript saves the entry (parts delivered so far) and extends the
// lease. KEYS: lease, owner, msgKey. ARGV: id, token, body, clock, leaseTTL(ms).
var progressScript = redis.NewScript(clockLua + `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[1], clock(ARGV[4]) + tonumber(ARGV[5]), ARGV[1])
return 1`)

// releaseScript ends a lease and puts the message back in the ready set
// (still its lane's head), due after delay.
// KEYS: lease, owner, msgKey, ready. ARGV: id, token, body, clock, delay(ms).
var releaseScript = redis.NewScript(clockLua + `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], clock(ARGV[4]) + tonumber(ARGV[5]), ARGV[1])
return 1`)

// reapScript returns entries whose lease expired (a worker crashed or was
// killed) to the ready queue. KEYS: lease, owner, ready. ARGV: clock, limit.
var reapScript = redis.NewScript(clockLua + `
local now = clock(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZADD', KEYS[3], now, id)
end
return #ids`)

// requeueScript moves a dead letter back to the end of its lane.
// KEYS: dead, msgKey, ready, laneKey, lanes. ARGV: id, body, clock.
var requeueScript = redis.NewScript(clockLua + `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[5], ARGV[1], KEYS[4])
if redis.call('RPUSH', KEYS[4], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[3], clock(ARGV[3]), ARGV[1])
end
return 1`)

// paceLua is a sliding-window rate limiter over several subjects at once
// (each member, the corp): either every window has room and the send is
// counted in all of them under member, or nothing is counted and it
// returns the ms until the fullest window has room.
const paceLua = `
local function pace(keys, lims, now, win, member)
  local wait = 0
  for i, k in ipairs(keys) do
    redis.call('ZREMRANGEBYSCORE', k, '-inf', now - win)
    local lim = lims[i]
    local n = redis.call('ZCARD', k)
    if n >= lim then
      local oldest = redis.call('ZRANGE', k, n - lim, n - lim, 'WITHSCORES')
      local w = tonumber(oldest[2]) + win - now
      if w > wait then wait = w end
    end
  end
  if wait > 0 then return wait end
  for _, k in ipairs(keys) do
    redis.call('ZADD', k, now, member)
    redis.call('PEXPIRE', k, win)
  end
  return 0
end
`

// paceScript paces one part (see paceLua).
// KEYS: one sorted set per subject. ARGV: clock, window(ms), member, limit...
var paceScript = redis.NewScript(clockLua + paceLua + `
local lims = {}
for i = 4, #ARGV do lims[#lims + 1] = tonumber(ARGV[i]) end
return pace(KEYS, lims, clock(ARGV[1]), tonumber(ARGV[2]), ARGV[3])`)

// stepScript is a worker's one round trip per message: it finishes the
// message just delivered (if any, and if this worker still holds its
// lease: the body is deleted and the lane's next message becomes ready),
// then leases the earliest due entry and counts its next part against the
// pacing windows, all in one call.
//
// Pacing is done here for lanes whose subjects follow from the lane name
// (one member "u:<userid>": the member and the corp; one robot "w:<hash>":
// the robot); an entry that must wait is rescheduled (still its lane's
// head, body unchanged) and the next due entry is tried, up to maxPaced
// times. Other lanes (several recipients) are paced by the worker.
// An entry whose body vanished is dropped and its lane moves on.
//
// Returns {finished, id, wait, body, paced, member, rateKey...}: finished
// 1 if the finish took place; id "" when nothing was claimed, with wait
// the ms until the next due entry (or the rate-limit hold), -1 when the
// queue is empty; paced the entries rescheduled by pacing; member and
// rateKeys the pacing entry counted for the claimed part ("" and none when
// the worker must pace).
// KEYS: ready, lease, owner, hold, lanes.
// ARGV: finishId ("" none), finishToken, finishLane (fallback), clock,
// leaseTTL(ms), token, msgPrefix, lanePrefix, ratePrefix, window(ms),
// memberLimit, corpLimit, webhookLimit, maxPaced, claim ("1" or "0").
var stepScript = redis.NewScript(clockLua + paceLua + `
local now = clock(ARGV[4])
local finished = 0
local fid = ARGV[1]
if fid ~= '' and redis.call('HGET', KEYS[3], fid) == ARGV[2] then
  redis.call('ZREM', KEYS[2], fid)
  redis.call('HDEL', KEYS[3], fid)
  local lane = redis.call('HGET', KEYS[5], fid) or ARGV[3]
  redis.call('HDEL', KEYS[5], fid)
  redis.call('LREM', lane, 1, fid)
  local head = redis.call('LINDEX', lane, 0)
  if head then redis.call('ZADD', KEYS[1], now, head) end
  redis.call('DEL', ARGV[7] .. fid)
  finished = 1
end
if ARGV[15] ~= '1' then return {finished, '', -1, '', 0, ''} end
local hold = redis.call('PTTL', KEYS[4])
if hold > 0 then return {finished, '', hold, '', 0, ''} end
local paced = 0
local maxPaced = tonumber(ARGV[14])
local lanePrefix = ARGV[8]
while true do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
  if #ids == 0 then
    local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    if #nxt == 0 then return {finished, '', -1, '', paced, ''} end
    return {finished, '', tonumber(nxt[2]) - now, '', paced, ''}
  end
  local id = ids[1]
  local body = redis.call('GET', ARGV[7] .. id)
  local lane = redis.call('HGET', KEYS[5], id)
  if not body then
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[5], id)
    if lane then
      redis.call('LREM', lane, 1, id)
      local head = redis.call('LINDEX', lane, 0)
      if head then redis.call('ZADD', KEYS[1], now, head) end
    end
  else
    local keys, lims
    if lane and string.sub(lane, 1, #lanePrefix) == lanePrefix then
      local s = string.sub(lane, #lanePrefix + 1)
      local kind = string.sub(s, 1, 2)
      if kind == 'u:' then
        keys = {ARGV[9] .. s, ARGV[9] .. 'corp'}
        lims = {tonumber(ARGV[11]), tonumber(ARGV[12])}
      elseif kind == 'w:' then
        keys = {ARGV[9] .. s}
        lims = {tonumber(ARGV[13])}
      end
    end
    local member = ''
    local wait = 0
    if keys then
      member = id .. ':c:' .. ARGV[6]
      wait = pace(keys, lims, now, tonumber(ARGV[10]), member)
    end
    if wait > 0 then
      redis.call('ZADD', KEYS[1], now + wait, id)
      paced = paced + 1
      if paced >= maxPaced then return {finished, '', 0, '', paced, ''} end
    else
      redis.call('ZREM', KEYS[1], id)
      redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), id)
      redis.call('HSET', KEYS[3], id, ARGV[6])
      local out = {finished, id, 0, body, paced, member}
      if keys then
        for _, k in ipairs(keys) do out[#out + 1] = k end
      end
      return out
    end
  end
end`)
