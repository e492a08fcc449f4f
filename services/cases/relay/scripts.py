"""The relay's Lua scripts. Each runs atomically inside Redis, in one round trip, and is
safe to run twice with the same arguments (redis-py re-sends a command whose answer it
did not get, so a script that already ran may run again).

Keys: KEYS[1] the stream, KEYS[2] the cursor, KEYS[3] the lease.
"""

from __future__ import annotations

# Where the stream got to: the position of its last-generated id (kept by Redis even when
# entries are trimmed), cross-checked with the cursor key. They move together in APPEND;
# when they disagree the stream was lost or recreated (a consumer's XGROUP CREATE
# MKSTREAM after Redis restarted empty), and the stream is the truth about what it holds.
_PUBLISHED = """
local function published()
  local top = '0'
  if redis.call('EXISTS', KEYS[1]) == 1 then
    local info = redis.call('XINFO', 'STREAM', KEYS[1])
    for i = 1, #info, 2 do
      if info[i] == 'last-generated-id' then top = string.match(info[i + 1], '^(%d+)-') end
    end
  end
  local cursor = redis.call('GET', KEYS[2])
  if cursor ~= top then return top, false end
  return top, true
end
"""

# ARGV: lease token, the position the relay believes it published, lease ttl (ms),
# n = fields per entry, the n field names, then one string per entry: its position and
# its n values joined by the unit separator \x1f (packing one argument per entry instead
# of n + 1 is most of the client's cost; no value holds \x1f: the JSON ones escape it).
# Every entry is split and checked before the first XADD, so a malformed one writes
# nothing. Answers {'ok', last position, stream length}, {'lease', holder} when the
# caller does not hold the lease (it must never append), or {'cursor', position} when the
# stream is not where the caller believes: nothing was written; resume after position.
APPEND = (
    _PUBLISHED
    + """
local holder = redis.call('GET', KEYS[3])
if holder ~= ARGV[1] then return {'lease', holder or ''} end
local at = published()
if at ~= ARGV[2] then return {'cursor', at} end
local n = tonumber(ARGV[4])
local commands = {}
for e = 5 + n, #ARGV do
  local packed, start = ARGV[e], 1
  local args = {KEYS[1]}
  for f = 0, n do
    local stop = string.find(packed, '\\31', start, true)
    if (stop == nil) ~= (f == n) then
      return redis.error_reply('malformed entry ' .. (e - 4 - n) .. ': not ' .. n .. ' values')
    end
    local value = string.sub(packed, start, (stop or 0) - 1)
    if f == 0 then
      args[2] = value .. '-0'
    else
      args[2 * f + 1] = ARGV[4 + f]
      args[2 * f + 2] = value
    end
    start = (stop or 0) + 1
  end
  commands[#commands + 1] = args
end
local last = at
for _, args in ipairs(commands) do
  redis.call('XADD', unpack(args))
  last = string.sub(args[2], 1, -3)
end
redis.call('SET', KEYS[2], last)
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {'ok', last, tostring(redis.call('XLEN', KEYS[1]))}
"""
)

# Answers the position the stream holds up to (see _PUBLISHED); writes nothing.
POSITION = (
    _PUBLISHED
    + """
local at = published()
return at
"""
)

# ARGV: token, ttl (ms). Takes the lease when free, or keeps it when already ours (a
# re-sent SET NX would otherwise find our own token and wait for it to expire).
# Answers {1, token} when held, {0, holder} when someone else holds it.
ACQUIRE = """
if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, ARGV[1]} end
local holder = redis.call('GET', KEYS[3])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
  return {1, holder}
end
return {0, holder or ''}
"""

# ARGV: token. Releases the lease only when it is still ours.
RELEASE = """
if redis.call('GET', KEYS[3]) == ARGV[1] then return redis.call('DEL', KEYS[3]) end
return 0
"""

# The lowest id any consumer group still needs: its lowest pending entry, else the entry
# after its last-delivered id. Answers ms, seq, or nil when the stream has no group.
_NEEDED = """
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function needed()
  local keep_ms, keep_seq = nil, nil
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local fields = {}
    for i = 1, #group, 2 do fields[group[i]] = group[i + 1] end
    local ms, seq = parse(fields['last-delivered-id'])
    seq = seq + 1
    if tonumber(fields['pending']) > 0 then
      local summary = redis.call('XPENDING', KEYS[1], fields['name'])
      ms, seq = parse(summary[2])
    end
    if keep_ms == nil or ms < keep_ms or (ms == keep_ms and seq < keep_seq) then
      keep_ms, keep_seq = ms, seq
    end
  end
  return keep_ms, keep_seq
end
"""

# ARGV: token. Removes the entries every consumer group has acknowledged: below the
# lowest id any group still needs (its lowest pending entry, else the entry after its
# last-delivered id). Reading the groups and trimming in one script means a group
# created or moved back meanwhile cannot lose entries. No group, no trim: a consumer
# that has not created its group yet (notify creates it at 0) needs the whole history.
# Answers the number of entries removed, or -1 when the caller does not hold the lease.
TRIM = (
    _NEEDED
    + """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local keep_ms, keep_seq = needed()
if keep_ms == nil then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-%d', keep_ms, keep_seq))
"""
)

# The floor: the highest position every consumer group has acknowledged, and all before
# it (-1: unknown, no stream or no group). Writes nothing.
FLOOR = (
    _NEEDED
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local keep_ms, keep_seq = needed()
if keep_ms == nil then return -1 end
if keep_seq >= 1 then return keep_ms end
return keep_ms - 1
"""
)

# ARGV: token, position. On a stream that holds nothing (new, or Redis lost it), makes
# it continue after `position` (its last-generated id and the cursor), so the relay
# refills it from there instead of from the log's start. Answers {'ok', position},
# {'lease', holder}, or {'cursor', at} when the stream is not empty (nothing written).
START_AFTER = (
    _PUBLISHED
    + """
local holder = redis.call('GET', KEYS[3])
if holder ~= ARGV[1] then return {'lease', holder or ''} end
local at = published()
if at ~= '0' then return {'cursor', at} end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('XADD', KEYS[1], '0-1', 'placeholder', '1')
  redis.call('XDEL', KEYS[1], '0-1')
end
redis.call('XSETID', KEYS[1], ARGV[2] .. '-0')
redis.call('SET', KEYS[2], ARGV[2])
return {'ok', ARGV[2]}
"""
)
