-- The live state's common library: loaded in front of each of its scripts (routing-state.lua, counter-hall.lua, and
-- alone for the operations they share), so every script sees the same keys and keeps them the same way. A script is
-- one atomic Redis call: KEYS[1] is the base of every key, e.g. "{mcc:rt}" (the braces put every key in one hash
-- slot, so the scripts run on a single Redis, under Sentinel, or on Redis Cluster); ARGV[1] names the operation.
--
-- The order of a queue is not decided here: every waiting ticket carries its order key `o`, computed by the domain
-- (src/domain/priority.ts, `queueOrder`), and the scripts only compare keys (lowest first; equal keys by ticket id,
-- which is how a Redis sorted set orders equal scores).
--
-- Keys both scripts keep (B = KEYS[1]):
--   B:built                 present once the state was rebuilt from the store (absent after a Redis restart)
--   B:t:<ticket>            hash, the ticket's record: u unit, q queue, c channel, o order key, e enqueued at (ms),
--                           st 'n' new (not routed yet: counted as waiting, not claimable) | 'w' waiting | 'a' held,
--                           a the agent who holds it, at (ms) when; the routing script adds g (skill signature), the
--                           counter-hall script k (the kiosk service of a turn), ctr and hs (its counter and stage)
--   B:wq:<unit>:<queue>     zset of waiting tickets by enqueued-at (figures: count and longest wait)
--   B:qs:<unit>             set of queues that ever had a ticket (figures)
--   B:a:<staff>             hash of the agent: load:<chan> (what they hold per channel) here; presence, units,
--                           skills, capacity and the time of their last claim are the routing script's
--   B:o:<staff>             set of tickets the agent holds
--   B:pend                  zset ticket -> claim time: claims whose store write is not confirmed yet
--   B:risk:<unit>           set of open tickets at SLA risk
--   B:d:<day>:<unit>        hash answered:<q>, waitms:<q>, abandoned:<q> (expires after three days)

local B = KEYS[1]
local op = ARGV[1]

local function split(s)
  local out = {}
  if s == nil or s == false or s == '' then return out end
  for part in string.gmatch(s, '[^,]+') do out[#out + 1] = part end
  return out
end

local function hgetall(key)
  local raw = redis.call('HGETALL', key)
  if #raw == 0 then return nil end
  local h = {}
  for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
  return h
end

local function num(v) return tonumber(v or '0') or 0 end

local function ticketKey(id) return B .. ':t:' .. id end

-- Whether a record is a turn of the counter hall (the counter-hall script's) rather than a ticket routed to agents.
local function isTurn(t) return t.k ~= nil and t.k ~= '' end

-- What an operation that needs the whole state answers while it is not built (Redis lost it; a rebuild from the store
-- is due or under way): the repositories turn it into a retryable error the use cases know to wait for.
local NOT_BUILT = 'not_built'
local function built() return redis.call('EXISTS', B .. ':built') == 1 end

local function dayCount(day, unit, field, by)
  if day == nil or day == '' then return end
  local key = B .. ':d:' .. day .. ':' .. unit
  redis.call('HINCRBY', key, field, by)
  redis.call('EXPIRE', key, 259200)
end

-- A waiting ticket counts in its unit's figures.
local function countWaiting(id, t)
  redis.call('ZADD', B .. ':wq:' .. t.u .. ':' .. t.q, num(t.e), id)
  redis.call('SADD', B .. ':qs:' .. t.u, t.q)
end

local function uncountWaiting(id, t)
  redis.call('ZREM', B .. ':wq:' .. t.u .. ':' .. t.q, id)
end

-- The agent holds the ticket: it counts in their load on its channel (once).
local function own(id, sid, channel)
  if redis.call('SADD', B .. ':o:' .. sid, id) == 1 then redis.call('HINCRBY', B .. ':a:' .. sid, 'load:' .. channel, 1) end
end

-- The agent who held the ticket has that much more room.
local function disown(id, t)
  local sid = t.a
  if sid == nil or sid == '' then return end
  if redis.call('SREM', B .. ':o:' .. sid, id) == 1 then
    local akey = B .. ':a:' .. sid
    if num(redis.call('HGET', akey, 'load:' .. t.c)) > 0 then redis.call('HINCRBY', akey, 'load:' .. t.c, -1) end
  end
end

-- What every claim records besides the hand-over: pending until the store confirms it, and the day's figures.
local function claimed(id, t, now, day)
  redis.call('ZADD', B .. ':pend', now, id)
  dayCount(day, t.u, 'answered:' .. t.q, 1)
  dayCount(day, t.u, 'waitms:' .. t.q, math.max(0, num(now) - num(t.e)))
end

-- The ticket leaves the live state (its script dropped it from its own queues and counters first): counted as
-- abandoned on `abandonedDay` when it was still waiting. Returns {state, agent, channel} as it was.
local function forget(id, t, abandonedDay)
  if t.st ~= 'a' then
    uncountWaiting(id, t)
    dayCount(abandonedDay, t.u, 'abandoned:' .. t.q, 1)
  else
    disown(id, t)
  end
  redis.call('ZREM', B .. ':pend', id)
  redis.call('SREM', B .. ':risk:' .. t.u, id)
  redis.call('DEL', ticketKey(id))
  return { t.st, t.a or '', t.c }
end

local ops = {}

-- done ticket agent: the store now records this claim.
ops.done = function()
  local t = hgetall(ticketKey(ARGV[2]))
  if not t or t.st ~= 'a' or t.a == ARGV[3] then redis.call('ZREM', B .. ':pend', ARGV[2]) end
  return 1
end

-- recount staff channelsCsv: load per channel from the tickets and turns the agent holds (repairs drift after a crash).
ops.recount = function()
  local sid = ARGV[2]
  local akey = B .. ':a:' .. sid
  local counts = {}
  for _, id in ipairs(redis.call('SMEMBERS', B .. ':o:' .. sid)) do
    local t = hgetall(ticketKey(id))
    if t and t.st == 'a' and t.a == sid then
      counts[t.c] = (counts[t.c] or 0) + 1
    else
      redis.call('SREM', B .. ':o:' .. sid, id)
    end
  end
  for _, c in ipairs(split(ARGV[3])) do redis.call('HSET', akey, 'load:' .. c, counts[c] or 0) end
  return 1
end

-- arrive id unit queue channel sig order enqueuedMs service: a new ticket, not routed yet, is counted as waiting in the
-- figures of the unit that received it; a turn of the hall (`service` its kiosk service) is marked as one from the
-- start. It becomes claimable once routing places it (or the hall queues the turn).
ops.arrive = function()
  local id = ARGV[2]
  local tkey = ticketKey(id)
  if redis.call('EXISTS', tkey) == 1 then return 0 end
  local t = { u = ARGV[3], q = ARGV[4], e = ARGV[8] }
  redis.call('HSET', tkey, 'u', t.u, 'q', t.q, 'c', ARGV[5], 'g', ARGV[6], 'o', ARGV[7], 'e', t.e, 'st', 'n')
  if ARGV[9] ~= nil and ARGV[9] ~= '' then redis.call('HSET', tkey, 'k', ARGV[9]) end
  countWaiting(id, t)
  return 1
end
