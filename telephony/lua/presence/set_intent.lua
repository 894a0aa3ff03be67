-- uses: _common.lua _agent.lua
-- ARGV: prefix agent intent reason actor now
local agent, intent, now = ARGV[2], ARGV[3], tonumber(ARGV[6])
local k = ak(agent)
if redis.call('EXISTS', k) == 0 then return -1 end
local a = redis.call('HMGET', k, 'intent', 'activity', 'lease_until', 'wrapup_until', 'reason')
if a[1] == intent and (a[5] or '') == ARGV[4] then return 0 end
redis.call('HSET', k, 'intent', intent, 'reason', ARGV[4], 'intent_by', ARGV[5],
  'intent_at', now)
-- Longest-idle counts from the moment an agent becomes available, not from an old idle spell.
if intent == 'available' and a[1] ~= 'available'
    and effective({a[2], a[3], a[4]}, now) == 'idle' then
  redis.call('HSET', k, 'activity', 'idle')
  set_ready(agent, now)
end
-- The reason and who set it travel with the change: the agent log is the audit of pauses.
redis.call('XADD', P .. ':changes', 'MAXLEN', '~', 100000, '*', 'kind', 'intent',
  'agent', agent, 'node', '', 'detail', intent, 't', now, 'reason', ARGV[4], 'actor', ARGV[5])
return 1
