-- The counter hall on the live state (loaded after live.lua, whose keys and helpers it uses): kiosk turns waiting per
-- service, the counters (ventanillas) and who is signed in to them, the turn each serves and those it parked. A turn
-- is a ticket like any other in the record (live.lua), with k its kiosk service and, while a counter holds it, ctr the
-- counter and hs its stage (called | serving | parked); it waits in its service's queue and is called by a counter,
-- never handed to an agent by the routing script, which leaves its record alone.
--
-- Keys (B = KEYS[1]):
--   B:h:<service>           zset of the service's waiting turns, score = the order key (lowest first)
--   B:ctr:<counter>         hash: s staff signed in, st open | paused, svc services csv, cur the turn it serves ('' none)
--   B:ctrs                  set of counters with someone signed in
--   B:seat:<staff>          the counter a staff member is signed in to
--   B:pk:<counter>          set of turns parked at the counter (the citizen fills a form; called back later)

local function counterOf(code) return hgetall(B .. ':ctr:' .. code) end

-- The counter, when this staff member is the one signed in to it.
local function seatedAt(code, sid)
  local c = counterOf(code)
  if not c or c.s ~= sid then return nil end
  return c
end

-- A waiting turn leaves its service's queue (the record is left as it is).
local function unqueue(id, t)
  if isTurn(t) then redis.call('ZREM', B .. ':h:' .. t.k, id) end
  uncountWaiting(id, t)
end

-- A turn that leaves its counter (finished, redirected, handed back) frees the counter or its parked list.
local function leaveCounter(id, t)
  if not t.ctr or t.ctr == '' then return end
  local ckey = B .. ':ctr:' .. t.ctr
  if redis.call('HGET', ckey, 'cur') == id then redis.call('HSET', ckey, 'cur', '') end
  redis.call('SREM', B .. ':pk:' .. t.ctr, id)
end

-- wait id unit queue channel sig order enqueuedMs service strict: a turn waits in its service's queue (a new turn, a
-- redirected one, one handed back), replacing an older entry; 'held' when a counter already holds it. Its order key is
-- its class's alone (the domain does not lift a turn for an SLA at risk: Ley 28683 wants preferential turns called
-- before everyone else). strict = '1' refuses while the state is being rebuilt (a rebuild passes '0').
ops.wait = function()
  if ARGV[10] == '1' then
    if not built() then return NOT_BUILT end
  end
  local id = ARGV[2]
  local tkey = ticketKey(id)
  local old = hgetall(tkey)
  if old and old.st == 'a' then return 'held' end
  if old then unqueue(id, old) end
  local t = { u = ARGV[3], q = ARGV[4], c = ARGV[5], g = ARGV[6], o = ARGV[7], e = ARGV[8], k = ARGV[9] }
  redis.call('HDEL', tkey, 'a', 'at', 'ctr', 'hs')
  redis.call('HSET', tkey, 'u', t.u, 'q', t.q, 'c', t.c, 'g', t.g, 'o', t.o, 'e', t.e, 'k', t.k, 'st', 'w')
  redis.call('ZADD', B .. ':h:' .. t.k, t.o, id)
  countWaiting(id, t)
  return 'waiting'
end

-- call counter staff now day: the counter calls the best turn waiting for any of its services: the lowest order key
-- (Ley 28683 preferential, then VPP, then general; within a class, arrival), then the smaller id. Two counters calling
-- at once never get the same turn: this runs atomically. Returns {ticket, service}, or a refusal.
ops.call = function()
  if not built() then return NOT_BUILT end
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
    t = hgetall(ticketKey(best))
    if t and t.st == 'w' then break end
    -- An entry whose ticket the live state no longer has waiting (a stray left by a crash) is dropped, and the next
    -- one taken.
    redis.call('ZREM', B .. ':h:' .. bestSvc, best)
    t = nil
  end
  if not t then return 'empty' end
  unqueue(best, t)
  redis.call('HSET', ticketKey(best), 'st', 'a', 'a', sid, 'at', now, 'ctr', code, 'hs', 'called')
  own(best, sid, t.c)
  claimed(best, t, now, day)
  redis.call('HSET', B .. ':ctr:' .. code, 'cur', best)
  return { best, t.k }
end

-- hold id staff unit queue channel sig order enqueuedMs service counter stage at: the store says this counter holds the
-- turn (rebuild). Idempotent.
ops.hold = function()
  local id, sid, code, stage = ARGV[2], ARGV[3], ARGV[11], ARGV[12]
  local tkey = ticketKey(id)
  local old = hgetall(tkey)
  if old then
    if old.st ~= 'a' then
      unqueue(id, old)
    elseif old.a ~= sid then
      leaveCounter(id, old)
      disown(id, old)
    end
  end
  redis.call('HSET', tkey, 'u', ARGV[4], 'q', ARGV[5], 'c', ARGV[6], 'g', ARGV[7], 'o', ARGV[8], 'e', ARGV[9], 'k', ARGV[10], 'st', 'a', 'a', sid, 'at', ARGV[13], 'ctr', code, 'hs', stage)
  own(id, sid, ARGV[6])
  local ckey = B .. ':ctr:' .. code
  if stage == 'parked' then
    redis.call('SADD', B .. ':pk:' .. code, id)
  elseif (redis.call('HGET', ckey, 'cur') or '') == '' then
    redis.call('HSET', ckey, 'cur', id)
  end
  return 1
end

-- remove ticket abandonedDay: the turn left the hall (closed, cancelled, handed back, about to wait again): its queue or
-- its counter lets it go. Returns {state, agent, channel} as it was, or {} when the hall does not have it (unknown, or
-- a ticket routed to agents).
ops.remove = function()
  local id = ARGV[2]
  local t = hgetall(ticketKey(id))
  if not t or not isTurn(t) then return {} end
  if t.st == 'a' then
    leaveCounter(id, t)
  else
    redis.call('ZREM', B .. ':h:' .. t.k, id)
  end
  return forget(id, t, ARGV[3])
end

-- seat counter staff servicesCsv paused: a staff member signs in to a counter (or the rebuild seats them again).
ops.seat = function()
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

-- unseat counter staff: the staff member signs out; refused while the counter still holds a turn.
ops.unseat = function()
  local code, sid = ARGV[2], ARGV[3]
  local c = seatedAt(code, sid)
  if not c then return 'not_seated' end
  if (c.cur and c.cur ~= '') or redis.call('SCARD', B .. ':pk:' .. code) > 0 then return 'busy' end
  redis.call('DEL', B .. ':ctr:' .. code, B .. ':seat:' .. sid)
  redis.call('SREM', B .. ':ctrs', code)
  return 'ok'
end

-- pause counter staff paused: the counter stops calling turns (1) or calls them again (0).
ops.pause = function()
  local code, sid = ARGV[2], ARGV[3]
  local c = seatedAt(code, sid)
  if not c then return 'not_seated' end
  redis.call('HSET', B .. ':ctr:' .. code, 'st', ARGV[4] == '1' and 'paused' or 'open')
  return 'ok'
end

-- stage counter staff ticket stage: the turn the counter serves moves on (serving), is parked (the counter is free to
-- call the next one) or is called back from the parked ones ('called').
ops.stage = function()
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
  redis.call('HSET', ticketKey(id), 'hs', stage)
  return 'ok'
end

-- position ticket: turns of the same service called before this waiting one; {} when it is not waiting.
ops.position = function()
  local t = hgetall(ticketKey(ARGV[2]))
  if not t or t.st ~= 'w' or not isTurn(t) then return {} end
  return { redis.call('ZCOUNT', B .. ':h:' .. t.k, '-inf', '(' .. t.o), t.k }
end
