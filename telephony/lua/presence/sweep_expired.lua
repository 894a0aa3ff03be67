-- uses: _common.lua
-- Remove every registration whose expiry has passed (FreeSWITCH may not have said so yet).
-- ARGV: prefix now limit
local now = ARGV[2]
local ids = redis.call('ZRANGEBYSCORE', P .. ':expiry', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local removed = 0
for _, id in ipairs(ids) do
  local node, cid = split_id(id)
  local n = drop_reg(node, cid, now, 'expired')
  if n == 0 then redis.call('ZREM', P .. ':expiry', id) end
  removed = removed + n
end
return removed
