-- uses: _common.lua _agent.lua
-- Reconcile found the agent's call live on a node after Redis lost its data: hold the agent for
-- it again under the rebuilt call record's token. Idempotent (the same token only renews); an
-- agent already held for another call is left alone (0), never taken from that call.
-- ARGV: prefix agent token activity now lease_s node
local agent, token, activity = ARGV[2], ARGV[3], ARGV[4]
local now, lease, node = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local a = redis.call('HMGET', ak(agent), 'activity', 'lease_until', 'wrapup_until', 'token')
local eff = effective(a, now)
if a[4] ~= token and (eff == 'reserved' or eff == 'ringing' or eff == 'on_call') then
  return 0
end
local until_ = now + lease
redis.call('HSET', ak(agent), 'activity', activity, 'token', token, 'lease_until', until_,
  'node', node, 'activity_at', now)
set_ready(agent, until_)
if a[4] ~= token then publish(now, 'activity', agent, node, activity) end
return 1
