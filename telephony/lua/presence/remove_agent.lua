-- uses: _common.lua
-- A proxy's registrations of one agent (matched by SIP Call-ID; '' = every one): unregister
-- carries no ruid, and lookup-miss removes them all.
-- ARGV: prefix node core seq now agent sip_call_id ('' = every registration) kind
local node, core, seq, now = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local agent, sip_cid, kind = ARGV[6], ARGV[7], ARGV[8]
local removed = 0
for _, id in ipairs(redis.call('SMEMBERS', P .. ':agentregs:' .. agent)) do
  local onode, cid = split_id(id)
  if onode == node then
    local rk = P .. ':reg:' .. node .. ':' .. cid
    local held = redis.call('HGET', rk, 'sip_call_id')
    if (sip_cid == '' or held == sip_cid) and not is_stale(rk, core, seq) then
      removed = removed + drop_reg(node, cid, now, kind)
    end
  end
end
return removed
