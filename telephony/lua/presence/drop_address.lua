-- uses: _common.lua
-- ARGV: prefix node core seq now ip port kind
local node, core, seq, now = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local ak = P .. ':addr:' .. node .. ':' .. ARGV[6] .. ':' .. ARGV[7]
local removed = 0
for _, cid in ipairs(redis.call('SMEMBERS', ak)) do
  local rk = P .. ':reg:' .. node .. ':' .. cid
  if redis.call('EXISTS', rk) == 0 then
    redis.call('SREM', ak, cid)
  elseif not is_stale(rk, core, seq) then
    local expires = redis.call('HGET', rk, 'expires')
    removed = removed + drop_reg(node, cid, now, ARGV[8])
    -- A patched node keeps listing the row until it expires: remember the dead connection so
    -- a reconcile does not bring it back (a new connection has another port).
    tomb(node, cid, ARGV[6], ARGV[7], expires, now)
  end
end
return removed
