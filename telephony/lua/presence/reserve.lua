-- uses: _common.lua _agent.lua
-- ARGV: prefix group now lease_s token_nonce n_nodes nodes... n_proxies proxies...
-- excluded_agents...; returns {agent, node, token, via}. An agent registered with a SIP proxy is
-- reachable from every node through it: such a registration counts on the first (preferred)
-- usable node, `via` names the proxy ("" for a registration on the node itself).
local group, now, lease = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local nonce, n = ARGV[5], tonumber(ARGV[6])
local rank = {}
for i = 1, n do rank[ARGV[6 + i]] = i end
local is_proxy = {}
local n_proxies = tonumber(ARGV[7 + n] or '0')
for i = 1, n_proxies do is_proxy[ARGV[7 + n + i]] = true end
-- After the proxies: agents never to take (they refused or missed this call already).
local excluded = {}
for i = 8 + n + n_proxies, #ARGV do excluded[ARGV[i]] = true end
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
    if not excluded[agent] and a[4] == '1' and a[5] == 'available'
        and effective(a, now) == 'idle' then
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
