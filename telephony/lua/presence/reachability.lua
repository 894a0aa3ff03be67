-- uses: _common.lua
-- ARGV: prefix node core seq now call_id unreachable(0|1)
local node, core, seq, now = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local cid, flag = ARGV[6], ARGV[7]
local rk = P .. ':reg:' .. node .. ':' .. cid
local r = redis.call('HMGET', rk, 'agent', 'unreachable', 'stale', 'core')
if not r[1] or is_stale(rk, core, seq) then return 0 end
-- An OPTIONS answer under this run proves a row listed after a restart alive.
local proven = flag == '0' and r[3] == '1' and r[4] == core
if proven then redis.call('HSET', rk, 'stale', '0') end
if r[2] == flag then
  if proven then publish(now, 'reachable', r[1], node, cid) end
  return proven and 1 or 0
end
redis.call('HSET', rk, 'unreachable', flag)
publish(now, flag == '1' and 'unreachable' or 'reachable', r[1], node, cid)
return 1
