//! The Lua scripts that make each step atomic on the server.

/// Deletes the lock only if it still holds our owner value (an expired lock retaken by
/// another process is left alone). KEYS: lock. ARGV: owner.
pub(super) const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Writes a pair. Refused (-1) when the lock is given and no longer ours; superseded (-2)
/// when the stored version is newer than the one we last read (a stale writer never
/// overwrites a newer pair); else the pair is written with the next version, the in-flight
/// refresh mark cleared, and the version returned. A store restarted empty takes the pair.
/// KEYS: pair, lock, spending. ARGV: owner or '', pair JSON, version read or '', now.
pub(super) const SAVE: &str = r"
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return -1
end
local cur = tonumber(redis.call('HGET', KEYS[1], 'version') or '0') or 0
local read = tonumber(ARGV[3])
if read ~= nil and cur > read then
  return -2
end
local v = math.max(cur, read or 0) + 1
redis.call('HSET', KEYS[1], 'pair', ARGV[2], 'version', v, 'saved_at', ARGV[4])
redis.call('DEL', KEYS[3])
return v
";

/// Counts an event in a sorted set by time, drops what left the window, and optionally
/// notes the last renewal. KEYS: counter, last renewal. ARGV: now in ms, a unique member,
/// window in ms, last-renewal value or ''.
pub(super) const RECORD: &str = r"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('PEXPIRE', KEYS[1], window)
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[2], ARGV[4])
end
return 1
";
