-- Shared helpers prepended to every presence script.
local P = ARGV[1] .. ':presence'
local function publish(now, kind, agent, node, detail)
  redis.call('XADD', P .. ':changes', 'MAXLEN', '~', 100000, '*',
    'kind', kind, 'agent', agent or '', 'node', node or '', 'detail', detail or '', 't', now)
end
local function split_id(id)
  local bar = string.find(id, '|', 1, true)
  return string.sub(id, 1, bar - 1), string.sub(id, bar + 1)
end
-- Remove one registration and every index entry pointing at it.
local function drop_reg(node, cid, now, kind)
  local rk = P .. ':reg:' .. node .. ':' .. cid
  local r = redis.call('HMGET', rk, 'agent', 'ip', 'port')
  if not r[1] then return 0 end
  local id = node .. '|' .. cid
  redis.call('DEL', rk)
  redis.call('SREM', P .. ':noderegs:' .. node, cid)
  redis.call('SREM', P .. ':addr:' .. node .. ':' .. (r[2] or '') .. ':' .. (r[3] or ''), cid)
  redis.call('SREM', P .. ':agentregs:' .. r[1], id)
  redis.call('ZREM', P .. ':expiry', id)
  publish(now, kind, r[1], node, cid)
  return 1
end
-- The Contact URI a registrar compares (multiple-registrations=contact): the part inside <>,
-- without the display name, case-insensitive.
local function contact_key(contact)
  local uri = string.match(contact or '', '<([^>]*)>') or contact or ''
  return string.lower(uri)
end
-- Remember a registration we removed although the node may still list it for a while (a
-- dead connection, a replaced row the listing's SQL has not caught up with): until it would
-- expire, a reconcile does not bring it back from that ip:port.
local function tomb(node, cid, ip, port, expires, now)
  local ttl = math.floor((tonumber(expires or '0') - tonumber(now)) * 1000)
  if ttl > 0 then
    local where = (ip or '') .. ':' .. (port or '')
    redis.call('SET', P .. ':tomb:' .. node .. ':' .. cid, where, 'PX', ttl)
  end
end
-- A removal event older than the registration it names is about a previous connection.
local function is_stale(rk, core, seq)
  local r = redis.call('HMGET', rk, 'core', 'seq')
  return r[1] == core and tonumber(r[2] or '0') > seq
end
