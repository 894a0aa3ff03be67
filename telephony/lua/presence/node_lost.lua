-- uses: _common.lua
-- ARGV: prefix node now reason
local node, now = ARGV[2], ARGV[3]
local nk = P .. ':node:' .. node
redis.call('SADD', P .. ':nodes', node)
local was = redis.call('HGET', nk, 'state')
redis.call('HSET', nk, 'state', 'lost', 'connected', '0', 'lost_at', now, 'lost_reason', ARGV[4])
if was == 'lost' then return 0 end
publish(now, 'node_lost', '', node, ARGV[4])
return 1
