-- Agent routing on the live state (loaded after live.lua, whose keys and helpers it uses): which tickets wait for
-- agents where, which agents are present with what room and skills, and the claims that hand one to the other. Turns
-- of the counter hall are the counter-hall script's: every operation here leaves a turn's record alone.
--
-- Keys (B = KEYS[1]):
--   B:t:<ticket>            the record (live.lua), plus g: the skill signature ('' = none, else sorted csv)
--   B:w:<unit>:<chan>:<sig> zset of waiting tickets, score = the order key (lowest first)
--   B:g:<unit>:<chan>       set of skill signatures that have waiting tickets
--   B:a:<staff>             the agent (live.lua keeps its load): p presence, au auto-assign 0|1, x takes work 0|1,
--                           un units csv, sk skills csv, cap:<chan>, last (ms of their last claim)
--   B:av:<unit>             set of staff who are available, auto-assigned and take work
--   B:st:<unit>             set of staff of the unit who take work (figures: agents by presence)

local function hasSkills(skillsCsv, sig)
  if sig == '' then return true end
  local have = {}
  for _, s in ipairs(split(skillsCsv)) do have[s] = true end
  for _, s in ipairs(split(sig)) do
    if not have[s] then return false end
  end
  return true
end

local function hasRoom(a, c) return num(a['load:' .. c]) < num(a['cap:' .. c]) end

local function inUnit(a, unit)
  for _, u in ipairs(split(a.un)) do
    if u == unit then return true end
  end
  return false
end

local function waitingKey(t) return B .. ':w:' .. t.u .. ':' .. t.c .. ':' .. t.g end

local function addWaiting(id, t)
  redis.call('ZADD', waitingKey(t), t.o, id)
  redis.call('SADD', B .. ':g:' .. t.u .. ':' .. t.c, t.g)
  countWaiting(id, t)
end

local function dropWaiting(id, t)
  local key = waitingKey(t)
  redis.call('ZREM', key, id)
  if redis.call('ZCARD', key) == 0 then redis.call('SREM', B .. ':g:' .. t.u .. ':' .. t.c, t.g) end
  uncountWaiting(id, t)
end

-- The best waiting ticket this agent may take on any of `channels`: their units, room, skills; the lowest order key,
-- then the smaller id.
local function bestTicketFor(a, channels)
  local best, bestScore, bestChannel
  for _, u in ipairs(split(a.un)) do
    for _, c in ipairs(channels) do
      if hasRoom(a, c) then
        for _, g in ipairs(redis.call('SMEMBERS', B .. ':g:' .. u .. ':' .. c)) do
          if hasSkills(a.sk, g) then
            local top = redis.call('ZRANGE', B .. ':w:' .. u .. ':' .. c .. ':' .. g, 0, 0, 'WITHSCORES')
            if #top > 0 then
              local score = tonumber(top[2])
              if best == nil or score < bestScore or (score == bestScore and top[1] < best) then
                best, bestScore, bestChannel = top[1], score, c
              end
            end
          end
        end
      end
    end
  end
  return best, bestChannel
end

-- Least loaded (as a share of capacity) first, then the one idle longest, then the smaller id.
local function bestAgentFor(t)
  local bestId, best, bestRatio
  for _, sid in ipairs(redis.call('SMEMBERS', B .. ':av:' .. t.u)) do
    local a = hgetall(B .. ':a:' .. sid)
    if a and hasRoom(a, t.c) and hasSkills(a.sk, t.g) then
      local ratio = num(a['load:' .. t.c]) / math.max(1, num(a['cap:' .. t.c]))
      local better = best == nil or ratio < bestRatio
        or (ratio == bestRatio and (num(a.last) < num(best.last) or (num(a.last) == num(best.last) and sid < bestId)))
      if better then bestId, best, bestRatio = sid, a, ratio end
    end
  end
  return bestId, best
end

-- Moves one waiting ticket to an agent. The caller checked eligibility; `a` is updated in place.
local function claim(id, sid, a, now, day, out)
  local tkey = ticketKey(id)
  local t = hgetall(tkey)
  dropWaiting(id, t)
  redis.call('HSET', tkey, 'st', 'a', 'a', sid, 'at', now)
  own(id, sid, t.c)
  redis.call('HSET', B .. ':a:' .. sid, 'last', now)
  claimed(id, t, now, day)
  a['load:' .. t.c] = tostring(num(a['load:' .. t.c]) + 1)
  a.last = now
  out[#out + 1] = id
  out[#out + 1] = sid
  out[#out + 1] = t.c
end

-- Writes a waiting ticket from ARGV (id unit queue channel sig order enqueuedMs), replacing an older entry.
local function putWaiting(tkey, id, old)
  if old then dropWaiting(id, old) end
  local t = { u = ARGV[3], q = ARGV[4], c = ARGV[5], g = ARGV[6], o = ARGV[7], e = ARGV[8] }
  redis.call('HSET', tkey, 'u', t.u, 'q', t.q, 'c', t.c, 'g', t.g, 'o', t.o, 'e', t.e, 'st', 'w')
  addWaiting(id, t)
  return t
end

-- Fills an agent's room from the queues of their units, best ticket first.
local function drain(sid, channels, now, day, out)
  local a = hgetall(B .. ':a:' .. sid)
  if not a or a.x ~= '1' or a.p ~= 'available' or a.au ~= '1' then return end
  for _ = 1, 10000 do
    local id = bestTicketFor(a, channels)
    if not id then return end
    claim(id, sid, a, now, day, out)
  end
end

-- place id unit queue channel sig order enqueuedMs now day: a ticket joins the queue and, while an eligible agent has
-- room, agents take the best tickets for them until this one is taken or nobody has room.
-- Returns the claims made ({ticket, agent, channel, ...}); {} when it waits; 'assigned' if it was already taken.
ops.place = function()
  if not built() then return NOT_BUILT end
  local id = ARGV[2]
  local tkey = ticketKey(id)
  local st = redis.call('HGET', tkey, 'st')
  if st == 'a' then return 'assigned' end
  local t = putWaiting(tkey, id, hgetall(tkey))
  local now, day, out = ARGV[9], ARGV[10], {}
  for _ = 1, 10000 do
    if redis.call('HGET', tkey, 'st') ~= 'w' then break end
    local sid, a = bestAgentFor(t)
    if not sid then break end
    local next = bestTicketFor(a, { t.c })
    if not next then break end
    claim(next, sid, a, now, day, out)
  end
  return out
end

-- enqueue id unit queue channel sig order enqueuedMs: a waiting ticket joins its queue without matching (rebuild:
-- agents drain once everything is in). Idempotent; a held ticket is left alone.
ops.enqueue = function()
  local id = ARGV[2]
  local tkey = ticketKey(id)
  local old = hgetall(tkey)
  if old and old.st == 'a' then return 0 end
  putWaiting(tkey, id, old)
  return 1
end

-- drain staff channelsCsv now day: an agent gained room.
ops.drain = function()
  if not built() then return NOT_BUILT end
  local out = {}
  drain(ARGV[2], split(ARGV[3]), ARGV[4], ARGV[5], out)
  return out
end

-- take staff channelsCsv now day: "take next", whatever the agent's presence short of offline.
ops.take = function()
  if not built() then return NOT_BUILT end
  local sid = ARGV[2]
  local a = hgetall(B .. ':a:' .. sid)
  if not a or a.x ~= '1' then return 'not_agent' end
  if a.p == 'offline' then return 'offline' end
  local channels, roomy = split(ARGV[3]), {}
  for _, c in ipairs(channels) do
    if hasRoom(a, c) then roomy[#roomy + 1] = c end
  end
  if #roomy == 0 then return 'at_capacity' end
  local id = bestTicketFor(a, roomy)
  if not id then return 'empty' end
  local out = {}
  claim(id, sid, a, ARGV[4], ARGV[5], out)
  return out
end

-- assign ticket staff now day: a supervisor hands a waiting ticket to a named agent.
ops.assign = function()
  if not built() then return NOT_BUILT end
  local id, sid = ARGV[2], ARGV[3]
  local t = hgetall(ticketKey(id))
  if not t or t.st ~= 'w' or isTurn(t) then return 'not_waiting' end
  local a = hgetall(B .. ':a:' .. sid)
  if not a or a.x ~= '1' or not inUnit(a, t.u) then return 'not_member' end
  if a.p == 'offline' then return 'offline' end
  if not hasRoom(a, t.c) then return 'at_capacity' end
  local out = {}
  claim(id, sid, a, ARGV[4], ARGV[5], out)
  return out
end

-- remove ticket abandonedDay: the ticket left routing (closed, cancelled, resolved, or about to be placed elsewhere).
-- Returns {state, agent, channel} as it was, or {} when routing does not have it (unknown, or a turn of the hall).
ops.remove = function()
  local id = ARGV[2]
  local t = hgetall(ticketKey(id))
  if not t or isTurn(t) then return {} end
  if t.st == 'w' then dropWaiting(id, t) end
  return forget(id, t, ARGV[3])
end

-- hold ticket staff unit queue channel sig order enqueuedMs at: the store says this agent holds the ticket (rebuild,
-- reconcile). Idempotent; a turn of the hall is left alone.
ops.hold = function()
  local id, sid = ARGV[2], ARGV[3]
  local tkey = ticketKey(id)
  local old = hgetall(tkey)
  if old then
    if isTurn(old) then return 0 end
    if old.st == 'a' and old.a == sid then return 0 end
    if old.st == 'w' then dropWaiting(id, old) elseif old.st == 'n' then uncountWaiting(id, old) else disown(id, old) end
  end
  redis.call('HSET', tkey, 'u', ARGV[4], 'q', ARGV[5], 'c', ARGV[6], 'g', ARGV[7], 'o', ARGV[8], 'e', ARGV[9], 'st', 'a', 'a', sid, 'at', ARGV[10])
  own(id, sid, ARGV[6])
  return 1
end

-- agent staff presence auto takesWork unitsCsv skillsCsv capacityCsv(chan=n,...): upsert an agent as the store
-- has them. Load is the live state's own (it follows claims and releases). Returns 1 when they could take work.
ops.agent = function()
  local sid = ARGV[2]
  local akey = B .. ':a:' .. sid
  local old = hgetall(akey)
  if old then
    for _, u in ipairs(split(old.un)) do
      redis.call('SREM', B .. ':av:' .. u, sid)
      redis.call('SREM', B .. ':st:' .. u, sid)
    end
  end
  redis.call('HSET', akey, 'p', ARGV[3], 'au', ARGV[4], 'x', ARGV[5], 'un', ARGV[6], 'sk', ARGV[7])
  for _, pair in ipairs(split(ARGV[8])) do
    local c, n = string.match(pair, '([^=]+)=(%d+)')
    redis.call('HSET', akey, 'cap:' .. c, n)
  end
  if ARGV[5] ~= '1' then return 0 end
  for _, u in ipairs(split(ARGV[6])) do
    redis.call('SADD', B .. ':st:' .. u, sid)
    if ARGV[3] == 'available' and ARGV[4] == '1' then redis.call('SADD', B .. ':av:' .. u, sid) end
  end
  return 1
end

-- priority ticket order: the SLA lifted (or reset) a ticket's rank; its new order key keeps its arrival.
ops.priority = function()
  local id = ARGV[2]
  local tkey = ticketKey(id)
  local t = hgetall(tkey)
  if not t or isTurn(t) then return 0 end
  redis.call('HSET', tkey, 'o', ARGV[3])
  if t.st == 'w' then redis.call('ZADD', waitingKey(t), ARGV[3], id) end
  return 1
end

-- position ticket: where a waiting ticket stands among the waiting tickets of its unit and channel, whatever their
-- skills (1 = next), with its unit and queue; {} when routing does not have it waiting. Reads only.
ops.position = function()
  local t = hgetall(ticketKey(ARGV[2]))
  if not t or t.st ~= 'w' or isTurn(t) then return {} end
  local ahead = 0
  for _, sig in ipairs(redis.call('SMEMBERS', B .. ':g:' .. t.u .. ':' .. t.c)) do
    ahead = ahead + redis.call('ZCOUNT', B .. ':w:' .. t.u .. ':' .. t.c .. ':' .. sig, '-inf', '(' .. t.o)
  end
  return { ahead + 1, t.u, t.q }
end
