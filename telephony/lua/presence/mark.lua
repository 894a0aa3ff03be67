-- uses: _common.lua _agent.lua
-- ARGV: prefix token activity now lease_s; the lease is renewed.
local token, activity, now, lease = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local agent = string.sub(token, string.find(token, ':', 1, true) + 1)
local a = redis.call('HMGET', ak(agent), 'activity', 'lease_until', 'wrapup_until', 'token', 'node')
if a[4] ~= token then return 0 end
local eff = effective(a, now)
if eff ~= 'reserved' and eff ~= 'ringing' and eff ~= 'on_call' then return 0 end
local until_ = now + lease
redis.call('HSET', ak(agent), 'activity', activity, 'lease_until', until_, 'activity_at', now)
set_ready(agent, until_)
if eff ~= activity then publish(now, 'activity', agent, a[5], activity) end
return 1
