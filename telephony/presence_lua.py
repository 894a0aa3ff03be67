"""Lua scripts behind the presence store: each runs as one atomic Redis operation.

Keys are built inside the scripts from a prefix (ARGV[1]) because a reservation must look at a
number of agents and registrations that is not known before it runs. That is fine on one Redis
or a Sentinel pair; a Redis Cluster would need every presence key under one hash tag.

Layout (P = "<prefix>:presence"):
  P:reg:<node>:<call-id>        hash   one registration (agent, contact, ip, port, core, seq,
                                       unreachable, stale: listed after a restart, TCP/TLS,
                                       not registered again since; ...)
  P:noderegs:<node>             set    call-ids held for a node
  P:addr:<node>:<ip>:<port>     set    call-ids seen from one network address (TCP-drop index)
  P:agentregs:<agent>           set    "<node>|<call-id>" of the agent's registrations
  P:expiry                      zset   "<node>|<call-id>" scored by absolute expiry
  P:tomb:<node>:<call-id>       string "ip:port" of a row removed while the node may still list
                                       it (a dead connection, a replaced registration)
  P:agent:<agent>               hash   enabled, groups, wrapup_s, intent, activity, token, ...
  P:ready:<group>               zset   the group's enabled agents by the time they became ready
  P:node:<node>                 hash   state, core, last_seen, trusted_until, HEARTBEAT figures
  P:changes                     stream every change, for the dashboard and the API

A change entry has fields kind, agent, node, detail, t (the caller's `now`). Kinds: register,
unregister, socket_disconnect, expire, transport_drop, expired (swept by time),
reconcile_remove, not_registered (USER_NOT_REGISTERED), unreachable, reachable, replaced (a
newer registration from the same contact or ip:port), stale (listed after a restart, awaiting
a REGISTER) (detail: the call-id); activity (detail: reserved/ringing/on_call/wrapup/idle),
intent (detail: the intent), agent_sync; node_restart, node_up (detail: Core-UUID), node_lost
(detail: the reason).
P:node:<node> also holds restart_core: the Core-UUID of a run that followed one we knew;
followed_core: the run whose end (a shutdown notice, or EOF) the listener saw while reconciled;
previous_followed: 1 when the run before restart_core was followed to its end.
"""

from __future__ import annotations

# Shared helpers prepended to every script.
_COMMON = r"""
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
"""

# Registrations ----------------------------------------------------------------------------

# ARGV: prefix node core seq now agent call_id profile contact ip port transport user_agent
#       expires_at
REGISTER = _COMMON + r"""
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
"""

# ARGV: prefix node core seq now call_id kind
REMOVE = _COMMON + r"""
local node, core, seq, now, cid = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local rk = P .. ':reg:' .. node .. ':' .. cid
if is_stale(rk, core, seq) then return 0 end
return drop_reg(node, cid, now, ARGV[7])
"""

# ARGV: prefix node core seq now ip port kind
DROP_ADDRESS = _COMMON + r"""
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
"""

# ARGV: prefix node core seq now call_id unreachable(0|1)
REACHABILITY = _COMMON + r"""
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
"""

# Replace what is held for a node by the node's own registration list.
# ARGV: prefix node core now n, then n rows of 9 fields:
#       call_id agent profile contact ip port transport user_agent expires_at unreachable
RECONCILE = _COMMON + r"""
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
"""

# Remove every registration whose expiry has passed (FreeSWITCH may not have said so yet).
# ARGV: prefix now limit
SWEEP_EXPIRED = _COMMON + r"""
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
"""

# Nodes ------------------------------------------------------------------------------------

# The node's event connection is (re)established with this Core-UUID. A new Core-UUID means a
# restart: everything held for the node is untrusted until a reconcile.
# ARGV: prefix node core now; returns 1 when the Core-UUID changed.
NODE_CONNECTED = _COMMON + r"""
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
"""

# ARGV: prefix node now reason
NODE_LOST = _COMMON + r"""
local node, now = ARGV[2], ARGV[3]
local nk = P .. ':node:' .. node
redis.call('SADD', P .. ':nodes', node)
local was = redis.call('HGET', nk, 'state')
redis.call('HSET', nk, 'state', 'lost', 'connected', '0', 'lost_at', now, 'lost_reason', ARGV[4])
if was == 'lost' then return 0 end
publish(now, 'node_lost', '', node, ARGV[4])
return 1
"""

# The event connection ended the way a run of the node ends (a shutdown notice, or EOF) while
# we were reconciled with this Core-UUID: we followed that run to its end. Recorded for the
# next run's reconcile (NODE_CONNECTED turns it into previous_followed).
# ARGV: prefix node core; returns 1 when recorded.
NODE_ENDED = _COMMON + r"""
local nk = P .. ':node:' .. ARGV[2]
local h = redis.call('HMGET', nk, 'core', 'state')
if h[1] ~= ARGV[3] or h[2] ~= 'up' then
  redis.call('HDEL', nk, 'followed_core')
  return 0
end
redis.call('HSET', nk, 'followed_core', ARGV[3])
return 1
"""

# A HEARTBEAT with a Core-UUID other than the one held is a restart we missed.
# ARGV: prefix node core now, then field/value pairs; returns 1 when the Core-UUID changed.
HEARTBEAT = _COMMON + r"""
local node, core, now = ARGV[2], ARGV[3], ARGV[4]
local nk = P .. ':node:' .. node
local held = redis.call('HGET', nk, 'core')
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', nk, 'last_heartbeat', now, 'last_seen', now, unpack(fields))
redis.call('SADD', P .. ':nodes', node)
if held and held ~= core then
  -- Seen first in a HEARTBEAT: the end of the old run went by unseen.
  redis.call('HSET', nk, 'state', 'syncing', 'core', core, 'previous_core', held,
    'restart_core', core, 'previous_followed', '0')
  redis.call('HDEL', nk, 'followed_core')
  publish(now, 'node_restart', '', node, core)
  return 1
end
return 0
"""

# Agents -----------------------------------------------------------------------------------

_AGENT = r"""
local function ak(agent) return P .. ':agent:' .. agent end
local function groups_of(agent)
  local g = redis.call('HGET', ak(agent), 'groups')
  local out = {}
  if g and g ~= '' then
    for name in string.gmatch(g, '[^,]+') do out[#out + 1] = name end
  end
  return out
end
local function set_ready(agent, score)
  redis.call('HSET', ak(agent), 'ready_at', score)
  for _, g in ipairs(groups_of(agent)) do
    redis.call('ZADD', P .. ':ready:' .. g, score, agent)
  end
end
-- Activity as of now: a lapsed lease or a finished wrap-up is idle again.
local function effective(a, now)
  local act = a[1] or 'idle'
  if (act == 'reserved' or act == 'ringing' or act == 'on_call')
      and tonumber(a[2] or '0') <= now then return 'idle' end
  if act == 'wrapup' and tonumber(a[3] or '0') <= now then return 'idle' end
  return act
end
"""

# ARGV: prefix group now lease_s token_nonce n_nodes nodes... [n_proxies proxies...];
# returns {agent, node, token, via}. An agent registered with a SIP proxy is reachable from every
# node through it: such a registration counts on the first (preferred) usable node, `via` names
# the proxy ("" for a registration on the node itself).
RESERVE = _COMMON + _AGENT + r"""
local group, now, lease = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local nonce, n = ARGV[5], tonumber(ARGV[6])
local rank = {}
for i = 1, n do rank[ARGV[6 + i]] = i end
local is_proxy = {}
for i = 1, tonumber(ARGV[7 + n] or '0') do is_proxy[ARGV[7 + n + i]] = true end
local nodes = {}
local function node_core(node)
  if nodes[node] == nil then
    local s = redis.call('HMGET', P .. ':node:' .. node, 'state', 'core', 'trusted_until')
    -- trusted_until: the listener vouches for the node only so long without news from it.
    local fresh = not s[3] or tonumber(s[3]) > now
    nodes[node] = (s[1] == 'up' and fresh and s[2]) or false
  end
  return nodes[node]
end
-- The agent's best routable registration on a usable node, in the caller's order (through a
-- proxy: the first usable node); returns node, via.
local function routable_node(agent)
  local best, best_rank, best_via = nil, n + 1, ''
  for _, id in ipairs(redis.call('SMEMBERS', P .. ':agentregs:' .. agent)) do
    local node, cid = split_id(id)
    local r, at, via = rank[node], node, ''
    if not r and is_proxy[node] then r, at, via = 1, ARGV[7], node end
    if r and r < best_rank then
      local core = node_core(node)
      if core then
        local g = redis.call('HMGET', P .. ':reg:' .. node .. ':' .. cid,
          'core', 'expires', 'unreachable', 'stale')
        if g[1] == core and tonumber(g[2] or '0') > now and g[3] ~= '1' and g[4] ~= '1' then
          best, best_rank, best_via = at, r, via
        end
      end
    end
  end
  return best, best_via
end
-- Longest ready first, a page at a time: usually the first candidate is the one.
local offset, page = 0, 32
while true do
  local candidates = redis.call('ZRANGEBYSCORE', P .. ':ready:' .. group, '-inf', now,
    'LIMIT', offset, page)
  for _, agent in ipairs(candidates) do
    local a = redis.call('HMGET', ak(agent), 'activity', 'lease_until', 'wrapup_until',
      'enabled', 'intent')
    if a[4] == '1' and a[5] == 'available' and effective(a, now) == 'idle' then
      local node, via = routable_node(agent)
      if node then
        local token = nonce .. ':' .. agent
        local until_ = now + lease
        redis.call('HSET', ak(agent), 'activity', 'reserved', 'token', token,
          'lease_until', until_, 'node', node, 'via', via, 'activity_at', now)
        set_ready(agent, until_)
        publish(now, 'activity', agent, node, 'reserved')
        return {agent, node, token, via}
      end
    end
  end
  if #candidates < page then return false end
  offset = offset + page
end
"""

# Reconcile found the agent's call live on a node after Redis lost its data: hold the agent for
# it again under the rebuilt call record's token. Idempotent (the same token only renews); an
# agent already held for another call is left alone (0), never taken from that call.
# ARGV: prefix agent token activity now lease_s node
HOLD = _COMMON + _AGENT + r"""
local agent, token, activity = ARGV[2], ARGV[3], ARGV[4]
local now, lease, node = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local a = redis.call('HMGET', ak(agent), 'activity', 'lease_until', 'wrapup_until', 'token')
local eff = effective(a, now)
if a[4] ~= token and (eff == 'reserved' or eff == 'ringing' or eff == 'on_call') then
  return 0
end
local until_ = now + lease
redis.call('HSET', ak(agent), 'activity', activity, 'token', token, 'lease_until', until_,
  'node', node, 'activity_at', now)
set_ready(agent, until_)
if a[4] ~= token then publish(now, 'activity', agent, node, activity) end
return 1
"""

# ARGV: prefix token activity now lease_s; the lease is renewed.
MARK = _COMMON + _AGENT + r"""
local token, activity, now, lease = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local agent = string.sub(token, string.find(token, ':', 1, true) + 1)
local a = redis.call('HMGET', ak(agent), 'activity', 'lease_until', 'wrapup_until', 'token', 'node')
if a[4] ~= token then return 0 end
local eff = effective(a, now)
if eff ~= 'reserved' and eff ~= 'ringing' and eff ~= 'on_call' then return 0 end
local until_ = now + lease
redis.call('HSET', ak(agent), 'activity', activity, 'lease_until', until_, 'activity_at', now)
set_ready(agent, until_)
if eff ~= activity then publish(now, 'activity', agent, a[5], activity) end
return 1
"""

# ARGV: prefix token now wrapup_s ('' = the agent's own) bad_node ('' = none)
#       bad_kind (not_registered: drop the agent's rows on bad_node; unreachable: keep and mark)
RELEASE = _COMMON + _AGENT + r"""
local token, now = ARGV[2], tonumber(ARGV[3])
local agent = string.sub(token, string.find(token, ':', 1, true) + 1)
local bad_node, bad_kind = ARGV[5], ARGV[6]
if bad_node ~= '' then
  for _, id in ipairs(redis.call('SMEMBERS', P .. ':agentregs:' .. agent)) do
    local node, cid = split_id(id)
    if node == bad_node then
      if bad_kind == 'unreachable' then
        -- A dead contact (sofia's 503, capture 27): the node keeps listing the row, so keep
        -- it too, marked; RECONCILE keeps the flag, and only a newer REGISTER (a new Call-ID
        -- or a later expiry) or an OPTIONS answer clears it.
        local rk = P .. ':reg:' .. node .. ':' .. cid
        if redis.call('HGET', rk, 'unreachable') ~= '1' then
          redis.call('HSET', rk, 'unreachable', '1')
          publish(now, 'unreachable', agent, node, cid)
        end
      else
        -- The node said USER_NOT_REGISTERED: what we held for the agent there was stale,
        -- whoever holds the agent now.
        drop_reg(node, cid, now, 'not_registered')
      end
    end
  end
end
local a = redis.call('HMGET', ak(agent), 'activity', 'lease_until', 'wrapup_until', 'token',
  'node', 'wrapup_s')
if a[4] ~= token then return 0 end
local eff = effective(a, now)
if eff ~= 'reserved' and eff ~= 'ringing' and eff ~= 'on_call' then return 0 end
if bad_node ~= '' and bad_kind ~= 'unreachable' then
  redis.call('HSET', ak(agent), 'activity', 'idle', 'token', '', 'lease_until', 0,
    'activity_at', now)
  set_ready(agent, now)
  publish(now, 'activity', agent, a[5], 'idle')
  return 1
end
local wrapup = tonumber(ARGV[4] ~= '' and ARGV[4] or (a[6] or '0'))
if wrapup > 0 then
  redis.call('HSET', ak(agent), 'activity', 'wrapup', 'token', '', 'lease_until', 0,
    'wrapup_until', now + wrapup, 'activity_at', now)
  set_ready(agent, now + wrapup)
  publish(now, 'activity', agent, a[5], 'wrapup')
else
  redis.call('HSET', ak(agent), 'activity', 'idle', 'token', '', 'lease_until', 0,
    'activity_at', now)
  set_ready(agent, now)
  publish(now, 'activity', agent, a[5], 'idle')
end
return 1
"""

# ARGV: prefix agent intent reason actor now
SET_INTENT = _COMMON + _AGENT + r"""
local agent, intent, now = ARGV[2], ARGV[3], tonumber(ARGV[6])
local k = ak(agent)
if redis.call('EXISTS', k) == 0 then return -1 end
local a = redis.call('HMGET', k, 'intent', 'activity', 'lease_until', 'wrapup_until', 'reason')
if a[1] == intent and (a[5] or '') == ARGV[4] then return 0 end
redis.call('HSET', k, 'intent', intent, 'reason', ARGV[4], 'intent_by', ARGV[5],
  'intent_at', now)
-- Longest-idle counts from the moment an agent becomes available, not from an old idle spell.
if intent == 'available' and a[1] ~= 'available'
    and effective({a[2], a[3], a[4]}, now) == 'idle' then
  redis.call('HSET', k, 'activity', 'idle')
  set_ready(agent, now)
end
-- The reason and who set it travel with the change: the agent log is the audit of pauses.
redis.call('XADD', P .. ':changes', 'MAXLEN', '~', 100000, '*', 'kind', 'intent',
  'agent', agent, 'node', '', 'detail', intent, 't', now, 'reason', ARGV[4], 'actor', ARGV[5])
return 1
"""

# Replace group membership with the database's view.
# ARGV: prefix now default_intent n, then n rows: agent groups(csv) wrapup_s enabled(0|1)
SYNC_AGENTS = _COMMON + _AGENT + r"""
local now, default_intent, n = ARGV[2], ARGV[3], tonumber(ARGV[4])
local seen = {}
local wanted = {}
for i = 0, n - 1 do
  local b = 5 + i * 4
  local agent, groups, wrapup, enabled = ARGV[b], ARGV[b+1], ARGV[b+2], ARGV[b+3]
  seen[agent] = true
  local k = ak(agent)
  -- Fresh: never synced. A hash holding only a call that reconcile restored after Redis lost
  -- its data (HOLD) is fresh too, but keeps that activity: the agent is on a live call.
  local fresh = redis.call('HEXISTS', k, 'enabled') == 0
  local before = redis.call('HMGET', k, 'enabled', 'groups')
  redis.call('HSET', k, 'enabled', enabled, 'groups', groups, 'wrapup_s', wrapup)
  if fresh then
    redis.call('HSET', k, 'intent', default_intent, 'reason', '')
    if redis.call('HEXISTS', k, 'activity') == 0 then
      redis.call('HSET', k, 'activity', 'idle', 'ready_at', now)
    end
  end
  redis.call('SADD', P .. ':agents', agent)
  local score = tonumber(redis.call('HGET', k, 'ready_at') or now)
  local a = redis.call('HMGET', k, 'activity', 'lease_until', 'wrapup_until')
  if a[1] == 'wrapup' then score = tonumber(a[3] or now)
  elseif a[1] == 'reserved' or a[1] == 'ringing' or a[1] == 'on_call' then
    score = tonumber(a[2] or now)
  end
  if enabled == '1' then
    for g in string.gmatch(groups, '[^,]+') do
      wanted[g] = wanted[g] or {}
      wanted[g][agent] = score
    end
  end
  if fresh or before[1] ~= enabled or before[2] ~= groups then
    publish(now, 'agent_sync', agent, '', enabled == '1' and groups or 'disabled')
  end
end
-- Agents no longer in the database are disabled, never silently left routable.
for _, agent in ipairs(redis.call('SMEMBERS', P .. ':agents')) do
  if not seen[agent] then
    redis.call('HSET', ak(agent), 'enabled', '0', 'groups', '')
    redis.call('SREM', P .. ':agents', agent)
  end
end
for _, g in ipairs(redis.call('SMEMBERS', P .. ':groups')) do
  if not wanted[g] then
    redis.call('DEL', P .. ':ready:' .. g)
    redis.call('SREM', P .. ':groups', g)
  end
end
for g, members in pairs(wanted) do
  redis.call('SADD', P .. ':groups', g)
  local rk = P .. ':ready:' .. g
  for _, agent in ipairs(redis.call('ZRANGE', rk, 0, -1)) do
    if not members[agent] then redis.call('ZREM', rk, agent) end
  end
  for agent, score in pairs(members) do redis.call('ZADD', rk, score, agent) end
end
return n
"""
