-- The live routing state: every operation that reads and changes it runs here, atomically (one script,
-- dispatched on ARGV[1]). KEYS[1] is the base of every key, e.g. "{mcc:rt}": the braces make every key share
-- one hash slot, so the same script runs on a single Redis, under Sentinel, or on Redis Cluster.
--
-- Keys (B = KEYS[1]):
--   B:built                 present once the state was rebuilt from the store (absent after a Redis restart)
--   B:t:<ticket>            hash: u unit, q queue, c channel, g skill signature ('' = none, else sorted csv),
--                           p priority score, e enqueued at (ms), st 'n' new (not routed yet: counted as waiting,
--                           not claimable) | 'w' waiting | 'a' assigned, a agent, at (ms)
--   B:w:<unit>:<chan>:<sig> zset of waiting tickets, score = order (higher priority, then older, first)
--   B:g:<unit>:<chan>       set of skill signatures that have waiting tickets
--   B:wq:<unit>:<queue>     zset of waiting tickets by enqueued-at (figures: count and longest wait)
--   B:qs:<unit>             set of queues that ever had a ticket (figures)
--   B:a:<staff>             hash: p presence, au auto-assign 0|1, x takes work 0|1, un units csv, sk skills csv,
--                           cap:<chan>, load:<chan>, last (ms of the last assignment)
--   B:av:<unit>             set of staff who are available, auto-assigned and take work
--   B:st:<unit>             set of staff of the unit who take work (figures: agents by presence)
--   B:o:<staff>             set of tickets the agent holds
--   B:pend                  zset ticket -> claim time: claims whose store write is not confirmed yet
--   B:risk:<unit>           set of open tickets at SLA risk
--   B:d:<day>:<unit>        hash answered:<q>, waitms:<q>, abandoned:<q> (expires after three days)
-- The counter hall (kiosk turns called to counters; ops hall_*): a turn is a ticket like any other (B:t:<ticket>,
-- with k its kiosk service; when a counter holds it, ctr the counter and hs its stage: called | serving | parked),
-- but it waits in its service's queue and is called by a counter, never handed to an agent by the ops above.
--   B:h:<service>           zset of the service's waiting turns, score = order (as B:w)
--   B:ctr:<counter>         hash: s staff signed in, st open | paused, svc services csv, cur the turn it serves ('' none)
--   B:ctrs                  set of counters with someone signed in
--   B:seat:<staff>          the counter a staff member is signed in to
--   B:pk:<counter>          set of turns parked at the counter (the citizen fills a form; called back later)

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

-- Higher priority first, then older; members with equal scores order by id (zset lexicographic order).
local function orderScore(p, e) return (4 - num(p)) * 1e13 + num(e) end

local function waitingKey(t) return B .. ':w:' .. t.u .. ':' .. t.c .. ':' .. t.g end

local function addWaiting(id, t)
  redis.call('ZADD', waitingKey(t), orderScore(t.p, t.e), id)
  redis.call('SADD', B .. ':g:' .. t.u .. ':' .. t.c, t.g)
  redis.call('ZADD', B .. ':wq:' .. t.u .. ':' .. t.q, num(t.e), id)
  redis.call('SADD', B .. ':qs:' .. t.u, t.q)
end

local function dropWaiting(id, t)
  local key = waitingKey(t)
  redis.call('ZREM', key, id)
  if redis.call('ZCARD', key) == 0 then redis.call('SREM', B .. ':g:' .. t.u .. ':' .. t.c, t.g) end
  redis.call('ZREM', B .. ':wq:' .. t.u .. ':' .. t.q, id)
  if t.k and t.k ~= '' then redis.call('ZREM', B .. ':h:' .. t.k, id) end
end

-- A turn that leaves its counter (finished, redirected, handed back) frees the counter or its parked list.
local function dropCounter(id, t)
  if not t.ctr or t.ctr == '' then return end
  local ckey = B .. ':ctr:' .. t.ctr
  if redis.call('HGET', ckey, 'cur') == id then redis.call('HSET', ckey, 'cur', '') end
  redis.call('SREM', B .. ':pk:' .. t.ctr, id)
end

local function dropOwner(id, t)
  dropCounter(id, t)
  local sid = t.a
  if sid == nil or sid == '' then return end
  if redis.call('SREM', B .. ':o:' .. sid, id) == 1 then
    local akey = B .. ':a:' .. sid
    if num(redis.call('HGET', akey, 'load:' .. t.c)) > 0 then redis.call('HINCRBY', akey, 'load:' .. t.c, -1) end
  end
end

local function dayCount(day, unit, field, by)
  if day == nil or day == '' then return end
  local key = B .. ':d:' .. day .. ':' .. unit
  redis.call('HINCRBY', key, field, by)
  redis.call('EXPIRE', key, 259200)
end

-- The best waiting ticket this agent may take on any of `channels`: their units, room, skills.
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
  local tkey = B .. ':t:' .. id
  local t = hgetall(tkey)
  dropWaiting(id, t)
  redis.call('HSET', tkey, 'st', 'a', 'a', sid, 'at', now)
  redis.call('SADD', B .. ':o:' .. sid, id)
  redis.call('HINCRBY', B .. ':a:' .. sid, 'load:' .. t.c, 1)
  redis.call('HSET', B .. ':a:' .. sid, 'last', now)
  a['load:' .. t.c] = tostring(num(a['load:' .. t.c]) + 1)
  a.last = now
  redis.call('ZADD', B .. ':pend', now, id)
  dayCount(day, t.u, 'answered:' .. t.q, 1)
  dayCount(day, t.u, 'waitms:' .. t.q, math.max(0, num(now) - num(t.e)))
  out[#out + 1] = id
  out[#out + 1] = sid
  out[#out + 1] = t.c
end

-- Writes a waiting ticket from ARGV (id unit queue channel sig priority enqueuedMs), replacing an older entry.
local function putWaiting(tkey, id, old)
  if old then dropWaiting(id, old) end
  local t = { u = ARGV[3], q = ARGV[4], c = ARGV[5], g = ARGV[6], p = ARGV[7], e = ARGV[8] }
  redis.call('HSET', tkey, 'u', t.u, 'q', t.q, 'c', t.c, 'g', t.g, 'p', t.p, 'e', t.e, 'st', 'w')
  addWaiting(id, t)
  return t
end

local function requireBuilt()
  if redis.call('EXISTS', B .. ':built') == 0 then
    return redis.error_reply('NOTBUILT live routing state is being rebuilt')
  end
  return nil
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

local ops = {}

-- place id unit queue channel sig priority enqueuedMs now day: a ticket joins the queue and, while an eligible
-- agent has room, agents take the best tickets for them until this one is taken or nobody has room.
-- Returns the claims made ({ticket, agent, channel, ...}); {} when it waits; 'assigned' if it was already taken.
ops.place = function()
  local err = requireBuilt()
  if err then return err end
  local id = ARGV[2]
  local tkey = B .. ':t:' .. id
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

-- enqueue id unit queue channel sig priority enqueuedMs: a waiting ticket joins its queue without matching
-- (rebuild: agents drain once everything is in). Idempotent; a held ticket is left alone.
ops.enqueue = function()
  local id = ARGV[2]
  local tkey = B .. ':t:' .. id
  local old = hgetall(tkey)
  if old and old.st == 'a' then return 0 end
  putWaiting(tkey, id, old)
  return 1
end

-- arrive id unit queue channel sig priority enqueuedMs: a new ticket, not routed yet, is counted as waiting in
-- the figures of the unit that received it. It becomes claimable when `place` routes it.
ops.arrive = function()
  local id = ARGV[2]
  local tkey = B .. ':t:' .. id
  if redis.call('EXISTS', tkey) == 1 then return 0 end
  local t = { u = ARGV[3], q = ARGV[4] }
  redis.call('HSET', tkey, 'u', t.u, 'q', t.q, 'c', ARGV[5], 'g', ARGV[6], 'p', ARGV[7], 'e', ARGV[8], 'st', 'n')
  redis.call('ZADD', B .. ':wq:' .. t.u .. ':' .. t.q, num(ARGV[8]), id)
  redis.call('SADD', B .. ':qs:' .. t.u, t.q)
  return 1
end

-- drain staff channelsCsv now day: an agent gained room.
ops.drain = function()
  local err = requireBuilt()
  if err then return err end
  local out = {}
  drain(ARGV[2], split(ARGV[3]), ARGV[4], ARGV[5], out)
  return out
end

-- take staff channelsCsv now day: "take next", whatever the agent's presence short of offline.
ops.take = function()
  local err = requireBuilt()
  if err then return err end
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
  local err = requireBuilt()
  if err then return err end
  local id, sid = ARGV[2], ARGV[3]
  local t = hgetall(B .. ':t:' .. id)
  if not t or t.st ~= 'w' then return 'not_waiting' end
  local a = hgetall(B .. ':a:' .. sid)
  if not a or a.x ~= '1' or not inUnit(a, t.u) then return 'not_member' end
  if a.p == 'offline' then return 'offline' end
  if not hasRoom(a, t.c) then return 'at_capacity' end
  local out = {}
  claim(id, sid, a, ARGV[4], ARGV[5], out)
  return out
end

-- remove ticket abandonedDay: the ticket left routing (closed, cancelled, resolved, or about to be placed
-- elsewhere). Returns {state, agent, channel} as it was, or {} when unknown.
ops.remove = function()
  local id = ARGV[2]
  local tkey = B .. ':t:' .. id
  local t = hgetall(tkey)
  if not t then return {} end
  if t.st ~= 'a' then
    dropWaiting(id, t)
    dayCount(ARGV[3], t.u, 'abandoned:' .. t.q, 1)
  else
    dropOwner(id, t)
  end
  redis.call('ZREM', B .. ':pend', id)
  redis.call('SREM', B .. ':risk:' .. t.u, id)
  redis.call('DEL', tkey)
  return { t.st, t.a or '', t.c }
end

-- hold ticket staff unit queue channel sig priority enqueuedMs: the store says this agent holds the ticket
-- (rebuild, reconcile). Idempotent.
ops.hold = function()
  local id, sid = ARGV[2], ARGV[3]
  local tkey = B .. ':t:' .. id
  local old = hgetall(tkey)
  if old then
    if old.st == 'a' and old.a == sid then return 0 end
    if old.st ~= 'a' then dropWaiting(id, old) else dropOwner(id, old) end
  end
  redis.call('HSET', tkey, 'u', ARGV[4], 'q', ARGV[5], 'c', ARGV[6], 'g', ARGV[7], 'p', ARGV[8], 'e', ARGV[9], 'st', 'a', 'a', sid, 'at', ARGV[10])
  if redis.call('SADD', B .. ':o:' .. sid, id) == 1 then redis.call('HINCRBY', B .. ':a:' .. sid, 'load:' .. ARGV[6], 1) end
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

-- priority ticket score: the SLA lifted (or reset) a ticket's rank; it keeps its arrival time.
ops.priority = function()
  local id = ARGV[2]
  local tkey = B .. ':t:' .. id
  local t = hgetall(tkey)
  if not t then return 0 end
  -- A turn of the counter hall keeps its place by class: the law's order is not lifted past (hall_wait).
  if t.k and t.k ~= '' then return 0 end
  redis.call('HSET', tkey, 'p', ARGV[3])
  if t.st == 'w' then redis.call('ZADD', waitingKey(t), orderScore(ARGV[3], t.e), id) end
  return 1
end

-- done ticket agent: the store now records this claim.
ops.done = function()
  local t = hgetall(B .. ':t:' .. ARGV[2])
  if not t or t.st ~= 'a' or t.a == ARGV[3] then redis.call('ZREM', B .. ':pend', ARGV[2]) end
  return 1
end

-- recount staff: load per channel from the tickets the agent holds (repairs drift after a crash).
ops.recount = function()
  local sid = ARGV[2]
  local akey = B .. ':a:' .. sid
  local counts = {}
  for _, id in ipairs(redis.call('SMEMBERS', B .. ':o:' .. sid)) do
    local t = hgetall(B .. ':t:' .. id)
    if t and t.st == 'a' and t.a == sid then
      counts[t.c] = (counts[t.c] or 0) + 1
    else
      redis.call('SREM', B .. ':o:' .. sid, id)
    end
  end
  for _, c in ipairs(split(ARGV[3])) do redis.call('HSET', akey, 'load:' .. c, counts[c] or 0) end
  return 1
end

-- position ticket: where a waiting ticket stands among the waiting tickets of its unit and channel, whatever their
-- skills (1 = next), with its unit and queue; {} when routing does not have it waiting. Reads only.
ops.position = function()
  local t = hgetall(B .. ':t:' .. ARGV[2])
  if not t or t.st ~= 'w' then return {} end
  local score = orderScore(t.p, t.e)
  local ahead = 0
  for _, sig in ipairs(redis.call('SMEMBERS', B .. ':g:' .. t.u .. ':' .. t.c)) do
    ahead = ahead + redis.call('ZCOUNT', B .. ':w:' .. t.u .. ':' .. t.c .. ':' .. sig, '-inf', '(' .. score)
  end
  return { ahead + 1, t.u, t.q }
end

-- ─── the counter hall ─────────────────────────────────────────────────────────────────────────────────────────

local function counterOf(code) return hgetall(B .. ':ctr:' .. code) end

-- The counter, when this staff member is the one signed in to it.
local function seatedAt(code, sid)
  local c = counterOf(code)
  if not c or c.s ~= sid then return nil end
  return c
end

-- hall_wait id unit queue channel sig priority enqueuedMs service strict: a turn waits in its service's queue (a new
-- turn, a redirected one, one handed back), replacing an older entry; 'held' when a counter already holds it.
-- `priority` is the turn's class score alone: an SLA at risk does not lift a turn in the hall, where Ley 28683 wants
-- preferential turns called before everyone else. strict = '1' refuses while the state is being rebuilt (a rebuild
-- passes '0').
ops.hall_wait = function()
  if ARGV[10] == '1' then
    local err = requireBuilt()
    if err then return err end
  end
  local id = ARGV[2]
  local tkey = B .. ':t:' .. id
  local old = hgetall(tkey)
  if old and old.st == 'a' then return 'held' end
  if old then dropWaiting(id, old) end
  local t = { u = ARGV[3], q = ARGV[4], c = ARGV[5], g = ARGV[6], p = ARGV[7], e = ARGV[8], k = ARGV[9] }
  redis.call('HDEL', tkey, 'a', 'at', 'ctr', 'hs')
  redis.call('HSET', tkey, 'u', t.u, 'q', t.q, 'c', t.c, 'g', t.g, 'p', t.p, 'e', t.e, 'k', t.k, 'st', 'w')
  redis.call('ZADD', B .. ':h:' .. t.k, orderScore(t.p, t.e), id)
  redis.call('ZADD', B .. ':wq:' .. t.u .. ':' .. t.q, num(t.e), id)
  redis.call('SADD', B .. ':qs:' .. t.u, t.q)
  return 'waiting'
end

-- hall_call counter staff now day: the counter calls the best turn waiting for any of its services: higher priority
-- first (Ley 28683 preferential, then VPP), then older, then the smaller id. Two counters calling at once never get
-- the same turn: this runs atomically. Returns {ticket, service}, or a refusal.
ops.hall_call = function()
  local err = requireBuilt()
  if err then return err end
  local code, sid, now, day = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
  local c = seatedAt(code, sid)
  if not c then return 'not_seated' end
  if c.st == 'paused' then return 'paused' end
  if c.cur and c.cur ~= '' then return 'busy' end
  local best, bestSvc, t
  for _ = 1, 1000 do
    local bestScore
    best = nil
    for _, svc in ipairs(split(c.svc)) do
      local top = redis.call('ZRANGE', B .. ':h:' .. svc, 0, 0, 'WITHSCORES')
      if #top > 0 then
        local score = tonumber(top[2])
        if best == nil or score < bestScore or (score == bestScore and top[1] < best) then best, bestScore, bestSvc = top[1], score, svc end
      end
    end
    if not best then return 'empty' end
    t = hgetall(B .. ':t:' .. best)
    if t and t.st == 'w' then break end
    -- An entry whose ticket routing no longer has waiting (a stray left by a crash) is dropped, and the next one taken.
    redis.call('ZREM', B .. ':h:' .. bestSvc, best)
    t = nil
  end
  if not t then return 'empty' end
  local tkey = B .. ':t:' .. best
  dropWaiting(best, t)
  redis.call('HSET', tkey, 'st', 'a', 'a', sid, 'at', now, 'ctr', code, 'hs', 'called')
  redis.call('SADD', B .. ':o:' .. sid, best)
  redis.call('HINCRBY', B .. ':a:' .. sid, 'load:' .. t.c, 1)
  redis.call('ZADD', B .. ':pend', now, best)
  redis.call('HSET', B .. ':ctr:' .. code, 'cur', best)
  dayCount(day, t.u, 'answered:' .. t.q, 1)
  dayCount(day, t.u, 'waitms:' .. t.q, math.max(0, num(now) - num(t.e)))
  return { best, t.k }
end

-- hall_hold id staff unit queue channel sig priority enqueuedMs service counter stage at: the store says this counter
-- holds the turn (rebuild). Idempotent.
ops.hall_hold = function()
  local id, sid, code, stage = ARGV[2], ARGV[3], ARGV[11], ARGV[12]
  local tkey = B .. ':t:' .. id
  local old = hgetall(tkey)
  if old then
    if old.st ~= 'a' then dropWaiting(id, old) elseif old.a ~= sid then dropOwner(id, old) end
  end
  redis.call('HSET', tkey, 'u', ARGV[4], 'q', ARGV[5], 'c', ARGV[6], 'g', ARGV[7], 'p', ARGV[8], 'e', ARGV[9], 'k', ARGV[10], 'st', 'a', 'a', sid, 'at', ARGV[13], 'ctr', code, 'hs', stage)
  if redis.call('SADD', B .. ':o:' .. sid, id) == 1 then redis.call('HINCRBY', B .. ':a:' .. sid, 'load:' .. ARGV[6], 1) end
  local ckey = B .. ':ctr:' .. code
  if stage == 'parked' then
    redis.call('SADD', B .. ':pk:' .. code, id)
  elseif (redis.call('HGET', ckey, 'cur') or '') == '' then
    redis.call('HSET', ckey, 'cur', id)
  end
  return 1
end

-- hall_seat counter staff servicesCsv paused: a staff member signs in to a counter (or the rebuild seats them again).
ops.hall_seat = function()
  local code, sid = ARGV[2], ARGV[3]
  local ckey = B .. ':ctr:' .. code
  local c = counterOf(code)
  if c and c.s and c.s ~= '' and c.s ~= sid then return 'taken' end
  local seat = redis.call('GET', B .. ':seat:' .. sid)
  if seat and seat ~= code then return 'seated_elsewhere' end
  local state = (ARGV[5] == '1') and 'paused' or ((c and c.st) or 'open')
  redis.call('HSET', ckey, 's', sid, 'st', state, 'svc', ARGV[4], 'cur', (c and c.cur) or '')
  redis.call('SET', B .. ':seat:' .. sid, code)
  redis.call('SADD', B .. ':ctrs', code)
  return 'ok'
end

-- hall_unseat counter staff: the staff member signs out; refused while the counter still holds a turn.
ops.hall_unseat = function()
  local code, sid = ARGV[2], ARGV[3]
  local c = seatedAt(code, sid)
  if not c then return 'not_seated' end
  if (c.cur and c.cur ~= '') or redis.call('SCARD', B .. ':pk:' .. code) > 0 then return 'busy' end
  redis.call('DEL', B .. ':ctr:' .. code, B .. ':seat:' .. sid)
  redis.call('SREM', B .. ':ctrs', code)
  return 'ok'
end

-- hall_pause counter staff paused: the counter stops calling turns (1) or calls them again (0).
ops.hall_pause = function()
  local code, sid = ARGV[2], ARGV[3]
  local c = seatedAt(code, sid)
  if not c then return 'not_seated' end
  redis.call('HSET', B .. ':ctr:' .. code, 'st', ARGV[4] == '1' and 'paused' or 'open')
  return 'ok'
end

-- hall_stage counter staff ticket stage: the turn the counter serves moves on (serving), is parked (the counter is
-- free to call the next one) or is called back from the parked ones ('called').
ops.hall_stage = function()
  local code, sid, id, stage = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
  local c = seatedAt(code, sid)
  if not c then return 'not_seated' end
  local ckey, pkey = B .. ':ctr:' .. code, B .. ':pk:' .. code
  local cur = c.cur or ''
  if stage == 'called' and redis.call('SISMEMBER', pkey, id) == 1 then
    if cur ~= '' then return 'busy' end
    redis.call('SREM', pkey, id)
    redis.call('HSET', ckey, 'cur', id)
  elseif cur ~= id then
    return 'not_current'
  elseif stage == 'parked' then
    redis.call('HSET', ckey, 'cur', '')
    redis.call('SADD', pkey, id)
  end
  redis.call('HSET', B .. ':t:' .. id, 'hs', stage)
  return 'ok'
end

-- hall_position ticket: turns of the same service called before this waiting one; {} when it is not waiting.
ops.hall_position = function()
  local t = hgetall(B .. ':t:' .. ARGV[2])
  if not t or t.st ~= 'w' or not t.k or t.k == '' then return {} end
  return { redis.call('ZCOUNT', B .. ':h:' .. t.k, '-inf', '(' .. orderScore(t.p, t.e)), t.k }
end

local fn = ops[op]
if not fn then return redis.error_reply('ERR unknown routing-state operation ' .. tostring(op)) end
return fn()
