-- uses: _common.lua _agent.lua
-- Replace group membership with the database's view.
-- ARGV: prefix now default_intent n, then n rows: agent groups(csv) wrapup_s enabled(0|1)
local now, default_intent, n = ARGV[2], ARGV[3], tonumber(ARGV[4])
local seen = {}
local wanted = {}
for i = 0, n - 1 do
  local b = 5 + i * 4
  local agent, groups, wrapup, enabled = ARGV[b], ARGV[b+1], ARGV[b+2], ARGV[b+3]
  seen[agent] = true
  local k = ak(agent)
  -- Fresh: never synced. A hash holding only a call that reconcile restored after Redis lost
  -- its data (HOLD) is fresh too, but keeps that activity: the agent is on a live call.
  local fresh = redis.call('HEXISTS', k, 'enabled') == 0
  local before = redis.call('HMGET', k, 'enabled', 'groups')
  redis.call('HSET', k, 'enabled', enabled, 'groups', groups, 'wrapup_s', wrapup)
  if fresh then
    redis.call('HSET', k, 'intent', default_intent, 'reason', '')
    if redis.call('HEXISTS', k, 'activity') == 0 then
      redis.call('HSET', k, 'activity', 'idle', 'ready_at', now)
    end
  end
  redis.call('SADD', P .. ':agents', agent)
  local score = tonumber(redis.call('HGET', k, 'ready_at') or now)
  local a = redis.call('HMGET', k, 'activity', 'lease_until', 'wrapup_until')
  if a[1] == 'wrapup' then score = tonumber(a[3] or now)
  elseif a[1] == 'reserved' or a[1] == 'ringing' or a[1] == 'on_call' then
    score = tonumber(a[2] or now)
  end
  if enabled == '1' then
    for g in string.gmatch(groups, '[^,]+') do
      wanted[g] = wanted[g] or {}
      wanted[g][agent] = score
    end
  end
  if fresh or before[1] ~= enabled or before[2] ~= groups then
    publish(now, 'agent_sync', agent, '', enabled == '1' and groups or 'disabled')
  end
end
-- Agents no longer in the database are disabled, never silently left routable.
for _, agent in ipairs(redis.call('SMEMBERS', P .. ':agents')) do
  if not seen[agent] then
    redis.call('HSET', ak(agent), 'enabled', '0', 'groups', '')
    redis.call('SREM', P .. ':agents', agent)
  end
end
for _, g in ipairs(redis.call('SMEMBERS', P .. ':groups')) do
  if not wanted[g] then
    redis.call('DEL', P .. ':ready:' .. g)
    redis.call('SREM', P .. ':groups', g)
  end
end
for g, members in pairs(wanted) do
  redis.call('SADD', P .. ':groups', g)
  local rk = P .. ':ready:' .. g
  for _, agent in ipairs(redis.call('ZRANGE', rk, 0, -1)) do
    if not members[agent] then redis.call('ZREM', rk, agent) end
  end
  for agent, score in pairs(members) do redis.call('ZADD', rk, score, agent) end
end
return n
