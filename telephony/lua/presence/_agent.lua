-- Agent helpers, prepended after _common.lua to the scripts that read or move agents.
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
