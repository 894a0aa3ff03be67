-- uses: _common.lua _agent.lua
-- ARGV: prefix token now wrapup_s ('' = the agent's own) bad_node ('' = none)
--       bad_kind (not_registered: drop the agent's rows on bad_node; unreachable: keep and mark)
local token, now = ARGV[2], tonumber(ARGV[3])
local agent = string.sub(token, string.find(token, ':', 1, true) + 1)
local bad_node, bad_kind = ARGV[5], ARGV[6]
if bad_node ~= '' then
  for _, id in ipairs(redis.call('SMEMBERS', P .. ':agentregs:' .. agent)) do
    local node, cid = split_id(id)
    if node == bad_node then
      if bad_kind == 'unreachable' then
        -- A dead contact (sofia's 503, capture 27): the node keeps listing the row, so keep
        -- it too, marked; RECONCILE keeps the flag, and only a newer REGISTER (a new Call-ID
        -- or a later expiry) or an OPTIONS answer clears it.
        local rk = P .. ':reg:' .. node .. ':' .. cid
        if redis.call('HGET', rk, 'unreachable') ~= '1' then
          redis.call('HSET', rk, 'unreachable', '1')
          publish(now, 'unreachable', agent, node, cid)
        end
      else
        -- The node said USER_NOT_REGISTERED: what we held for the agent there was stale,
        -- whoever holds the agent now.
        drop_reg(node, cid, now, 'not_registered')
      end
    end
  end
end
local a = redis.call('HMGET', ak(agent), 'activity', 'lease_until', 'wrapup_until', 'token',
  'node', 'wrapup_s')
if a[4] ~= token then return 0 end
local eff = effective(a, now)
if eff ~= 'reserved' and eff ~= 'ringing' and eff ~= 'on_call' then return 0 end
if bad_node ~= '' and bad_kind ~= 'unreachable' then
  redis.call('HSET', ak(agent), 'activity', 'idle', 'token', '', 'lease_until', 0,
    'activity_at', now)
  set_ready(agent, now)
  publish(now, 'activity', agent, a[5], 'idle')
  return 1
end
local wrapup = tonumber(ARGV[4] ~= '' and ARGV[4] or (a[6] or '0'))
if wrapup > 0 then
  redis.call('HSET', ak(agent), 'activity', 'wrapup', 'token', '', 'lease_until', 0,
    'wrapup_until', now + wrapup, 'activity_at', now)
  set_ready(agent, now + wrapup)
  publish(now, 'activity', agent, a[5], 'wrapup')
else
  redis.call('HSET', ak(agent), 'activity', 'idle', 'token', '', 'lease_until', 0,
    'activity_at', now)
  set_ready(agent, now)
  publish(now, 'activity', agent, a[5], 'idle')
end
return 1
