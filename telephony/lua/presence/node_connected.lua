-- uses: _common.lua
-- The node's event connection is (re)established with this Core-UUID. A new Core-UUID means a
-- restart: everything held for the node is untrusted until a reconcile.
-- ARGV: prefix node core now; returns 1 when the Core-UUID changed.
local node, core, now = ARGV[2], ARGV[3], ARGV[4]
local nk = P .. ':node:' .. node
local old = redis.call('HMGET', nk, 'core', 'state')
redis.call('SADD', P .. ':nodes', node)
redis.call('HSET', nk, 'connected', '1', 'last_seen', now, 'connected_at', now)
if old[1] ~= core then
  local followed = old[1] and redis.call('HGET', nk, 'followed_core') == old[1]
  redis.call('HSET', nk, 'state', 'syncing', 'core', core, 'previous_core', old[1] or '',
    'previous_followed', followed and '1' or '0')
  redis.call('HDEL', nk, 'followed_core')
  if old[1] then redis.call('HSET', nk, 'restart_core', core) end
  publish(now, 'node_restart', '', node, core)
  return 1
end
-- Following this run again: only an end seen from here on counts as followed.
redis.call('HDEL', nk, 'followed_core')
if old[2] ~= 'up' then redis.call('HSET', nk, 'state', 'syncing') end
return 0
