-- uses: _common.lua
-- ARGV: prefix node core seq now call_id kind
local node, core, seq, now, cid = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local rk = P .. ':reg:' .. node .. ':' .. cid
if is_stale(rk, core, seq) then return 0 end
return drop_reg(node, cid, now, ARGV[7])
