-- uses: _common.lua
-- The event connection ended the way a run of the node ends (a shutdown notice, or EOF) while
-- we were reconciled with this Core-UUID: we followed that run to its end. Recorded for the
-- next run's reconcile (NODE_CONNECTED turns it into previous_followed).
-- ARGV: prefix node core; returns 1 when recorded.
local nk = P .. ':node:' .. ARGV[2]
local h = redis.call('HMGET', nk, 'core', 'state')
if h[1] ~= ARGV[3] or h[2] ~= 'up' then
  redis.call('HDEL', nk, 'followed_core')
  return 0
end
redis.call('HSET', nk, 'followed_core', ARGV[3])
return 1
