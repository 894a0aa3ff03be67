-- uses: _common.lua
-- A HEARTBEAT with a Core-UUID other than the one held is a restart we missed.
-- ARGV: prefix node core now, then field/value pairs; returns 1 when the Core-UUID changed.
local node, core, now = ARGV[2], ARGV[3], ARGV[4]
local nk = P .. ':node:' .. node
local held = redis.call('HGET', nk, 'core')
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', nk, 'last_heartbeat', now, 'last_seen', now, unpack(fields))
redis.call('SADD', P .. ':nodes', node)
if held and held ~= core then
  -- Seen first in a HEARTBEAT: the end of the old run went by unseen.
  redis.call('HSET', nk, 'state', 'syncing', 'core', core, 'previous_core', held,
    'restart_core', core, 'previous_followed', '0')
  redis.call('HDEL', nk, 'followed_core')
  publish(now, 'node_restart', '', node, core)
  return 1
end
return 0
