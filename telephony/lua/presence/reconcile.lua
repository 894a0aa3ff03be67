-- uses: _common.lua
-- Replace what is held for a node by the node's own registration list.
-- ARGV: prefix node core now n, then n rows of 9 fields:
--       call_id agent profile contact ip port transport user_agent expires_at unreachable
local node, core, now, n = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local nowf = tonumber(now)
local listed = {}
-- This run of the node followed one we knew (a restart): FreeSWITCH keeps the registrations
-- of the old process (captures 32, 32c), though the TCP/TLS connections they came over died
-- with it and no socket-disconnection will ever fire for them.
local nh = redis.call('HMGET', P .. ':node:' .. node, 'restart_core', 'previous_followed')
local restarted = nh[1] == core
-- The listener followed the previous run until it ended (a shutdown notice, or EOF after a
-- reconcile): it saw every registration the old process held.
local followed = nh[2] == '1'
local added, removed = 0, 0
for i = 0, n - 1 do
  local b = 6 + i * 10
  local cid, agent, ip, port, expires_at = ARGV[b], ARGV[b+1], ARGV[b+4], ARGV[b+5], ARGV[b+8]
  local tomb = redis.call('GET', P .. ':tomb:' .. node .. ':' .. cid)
  -- FreeSWITCH still lists a row for a moment after sofia::expire: never bring it back; nor a
  -- connection a transport error already reported dead.
  if tonumber(expires_at) > nowf and tomb ~= ip .. ':' .. port then
    listed[cid] = true
    local rk = P .. ':reg:' .. node .. ':' .. cid
    local old = redis.call('HMGET', rk, 'agent', 'core', 'seq', 'unreachable', 'ip', 'port',
      'expires', 'stale')
    local keep = old[1] == agent and old[2] == core
    -- A later expiry than the one held means a REGISTER we did not see came since.
    local advanced = old[1] == agent and tonumber(expires_at) > tonumber(old[7] or '0') + 2
    local stale = '0'
    if keep then
      stale = (old[8] == '1' and not advanced) and '1' or '0'
    elseif restarted and ARGV[b+6] ~= 'udp' and not advanced
        and (old[1] or not followed) then
      -- Listed after a restart but not registered again since: not routable until a fresh
      -- sofia::register (or an OPTIONS answer) proves a phone is behind it. That is a row we
      -- held under the previous run, or any row when we did not follow that run to its end.
      -- A Call-ID we never held although we followed the old run to its end cannot be one the
      -- old process kept: it came with a REGISTER to this run, before we reconnected.
      stale = '1'
    end
    local id = node .. '|' .. cid
    if old[1] and old[1] ~= agent then redis.call('SREM', P .. ':agentregs:' .. old[1], id) end
    if old[5] and (old[5] ~= ip or old[6] ~= port) then
      redis.call('SREM', P .. ':addr:' .. node .. ':' .. old[5] .. ':' .. (old[6] or ''), cid)
    end
    -- Events are fresher than the listing (its SQL lags), so a held row keeps its flag (a
    -- contact that failed a call stays unreachable) until a REGISTER we did not see.
    local unreachable = (keep and not advanced) and (old[4] or '0') or ARGV[b+9]
    redis.call('HSET', rk, 'agent', agent, 'node', node, 'call_id', cid, 'profile', ARGV[b+2],
      'contact', ARGV[b+3], 'ip', ip, 'port', port, 'transport', ARGV[b+6],
      'user_agent', ARGV[b+7], 'expires', expires_at, 'core', core,
      'seq', keep and (old[3] or '0') or '0', 'unreachable', unreachable, 'stale', stale,
      'updated', now)
    redis.call('SADD', P .. ':noderegs:' .. node, cid)
    redis.call('SADD', P .. ':addr:' .. node .. ':' .. ip .. ':' .. port, cid)
    redis.call('SADD', P .. ':agentregs:' .. agent, id)
    redis.call('ZADD', P .. ':expiry', expires_at, id)
    if not keep then
      added = added + 1
      publish(now, stale == '1' and 'stale' or 'register', agent, node, cid)
    end
  end
end
for _, cid in ipairs(redis.call('SMEMBERS', P .. ':noderegs:' .. node)) do
  if not listed[cid] then removed = removed + drop_reg(node, cid, now, 'reconcile_remove') end
end
local nk = P .. ':node:' .. node
local was = redis.call('HGET', nk, 'state')
redis.call('HSET', nk, 'state', 'up', 'core', core, 'reconciled_at', now)
redis.call('SADD', P .. ':nodes', node)
if was ~= 'up' then publish(now, 'node_up', '', node, core) end
return {added, removed}
