-- uses: _common.lua
-- ARGV: prefix node core seq now agent call_id profile contact ip port transport user_agent
--       expires_at
local node, core, seq, now = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local agent, cid = ARGV[6], ARGV[7]
local ip, port, expires_at = ARGV[10], ARGV[11], ARGV[14]
local rk = P .. ':reg:' .. node .. ':' .. cid
local old = redis.call('HMGET', rk, 'core', 'seq', 'agent', 'ip', 'port', 'unreachable')
if old[1] == core and tonumber(old[2] or '0') > seq then return 0 end
local id = node .. '|' .. cid
if old[3] and old[3] ~= agent then redis.call('SREM', P .. ':agentregs:' .. old[3], id) end
if old[4] and (old[4] ~= ip or old[5] ~= port) then
  redis.call('SREM', P .. ':addr:' .. node .. ':' .. old[4] .. ':' .. (old[5] or ''), cid)
end
local was_stale = redis.call('HGET', rk, 'stale') == '1'
redis.call('HSET', rk, 'agent', agent, 'node', node, 'call_id', cid, 'profile', ARGV[8],
  'contact', ARGV[9], 'ip', ip, 'port', port, 'transport', ARGV[12], 'user_agent', ARGV[13],
  'expires', expires_at, 'core', core, 'seq', seq, 'unreachable', '0', 'stale', '0',
  'updated', now)
redis.call('SADD', P .. ':noderegs:' .. node, cid)
redis.call('SADD', P .. ':addr:' .. node .. ':' .. ip .. ':' .. port, cid)
redis.call('SADD', P .. ':agentregs:' .. agent, id)
redis.call('ZADD', P .. ':expiry', expires_at, id)
redis.call('DEL', P .. ':tomb:' .. node .. ':' .. cid)
-- The registrar replaces, silently, the agent's older rows on this node from the same Contact
-- URI (multiple-registrations=contact, capture 31); the same network ip:port and transport is
-- the same phone too. Never a row newer than this event.
local key = contact_key(ARGV[9])
for _, other in ipairs(redis.call('SMEMBERS', P .. ':agentregs:' .. agent)) do
  local onode, ocid = split_id(other)
  if onode == node and ocid ~= cid then
    local ok = P .. ':reg:' .. node .. ':' .. ocid
    local o = redis.call('HMGET', ok, 'contact', 'ip', 'port', 'transport', 'expires')
    local same = o[1] and (contact_key(o[1]) == key
      or (o[2] == ip and o[3] == port and o[4] == ARGV[12]))
    if same and not is_stale(ok, core, seq) then
      drop_reg(node, ocid, now, 'replaced')
      tomb(node, ocid, o[2], o[3], o[5], now)
    end
  end
end
-- A refresh of a healthy registration changes nothing anyone watches: do not publish it.
if not old[3] or old[1] ~= core or old[6] == '1' or was_stale then
  publish(now, 'register', agent, node, cid)
end
return 1
