/**
 * The broker's Lua scripts. Each runs atomically in Redis, so the sequence, the stream and the
 * channel never disagree, however many nodes publish at once.
 *
 * Keys: KEYS[1] is the meta hash (`epoch`, `seq`), KEYS[2] the stream. Stream entries have the id
 * `<seq>-0` and the fields time, topic, event, data in that order (the read script relies on it).
 */

// The log's epoch and its stream live and die together: when the meta hash is missing (first use,
// FLUSHALL, a restart without persistence, eviction) a new epoch starts and any stream left over
// from the old one is dropped, so no id of the old epoch can ever be issued twice. Returns the
// epoch and the head seq.
const ENSURE_EPOCH = `
local function ensure_epoch(meta, log, fresh)
  local state = redis.call('HMGET', meta, 'epoch', 'seq')
  if state[1] and state[2] then return state[1], tonumber(state[2]) end
  redis.call('DEL', log)
  redis.call('HSET', meta, 'epoch', fresh, 'seq', 0)
  return fresh, 0
end
`;

/**
 * ARGV: channel, topic, event, data, retentionCount, retentionMs, a fresh epoch (used only when
 * none exists). Returns { epoch, seq, time }.
 *
 * Trimming by count is exact (not `~`), so `retentionCount` means what it says; past the limit it
 * drops one entry from the stream's first node per publish, which stays cheap. The seq is written
 * only after XADD succeeded, so a refused write (OOM) burns no number. The time
 * comes from Redis's clock so age trimming agrees across nodes. Age trimming looks at no more than
 * 100 old entries per publish, which keeps each publish cheap and still drains any backlog.
 */
export const PUBLISH_SCRIPT: string = `${ENSURE_EPOCH}
local epoch, head = ensure_epoch(KEYS[1], KEYS[2], ARGV[7])
local seq = string.format('%d', head + 1)
local id = seq .. '-0'
local now = redis.call('TIME')
local time = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], id,
  'time', time, 'topic', ARGV[2], 'event', ARGV[3], 'data', ARGV[4])
redis.call('HSET', KEYS[1], 'seq', seq)
local max_age = tonumber(ARGV[6])
if max_age > 0 then
  local cutoff = tonumber(time) - max_age
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  if oldest and tonumber(oldest[2][2]) < cutoff then
    local batch = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 100)
    local keep = nil
    for _, entry in ipairs(batch) do
      if tonumber(entry[2][2]) >= cutoff then
        keep = entry[1]
        break
      end
    end
    if not keep then
      keep = string.format('%d-0', tonumber(string.match(batch[#batch][1], '^%d+')) + 1)
    end
    redis.call('XTRIM', KEYS[2], 'MINID', keep)
  end
end
redis.call('PUBLISH', ARGV[1], epoch .. '\\n' .. seq .. '\\n' .. time .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[4])
return { epoch, seq, time }
`;

/**
 * ARGV: start id, end id (or '+'), COUNT, a fresh epoch, the epoch and seq the caller has seen,
 * then the topics wanted (none: all). Returns { epoch, head seq, entries scanned, first scanned id,
 * last scanned id, then for each matching entry: id, time, topic, event, data }. Epoch, head and
 * entries are read in one atomic step, so a page is always consistent with the head it reports.
 * Topics are filtered here so that a replay of a busy log sends only what the client asked for.
 *
 * A head below a seq some node has already seen in the same epoch means Redis lost writes it had
 * acknowledged (a failover to a replica that lagged): those seqs were handed out, so they must
 * never be issued again in that epoch, and a new one starts.
 */
export const READ_SCRIPT: string = `${ENSURE_EPOCH}
local epoch, head = ensure_epoch(KEYS[1], KEYS[2], ARGV[4])
if epoch == ARGV[5] and head < tonumber(ARGV[6]) then
  redis.call('DEL', KEYS[1])
  epoch, head = ensure_epoch(KEYS[1], KEYS[2], ARGV[4])
end
local entries = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[2], 'COUNT', ARGV[3])
local out = { epoch, string.format('%d', head), #entries, '', '' }
if #entries > 0 then
  out[4] = entries[1][1]
  out[5] = entries[#entries][1]
end
local wanted = nil
if #ARGV > 6 then
  wanted = {}
  for i = 7, #ARGV do wanted[ARGV[i]] = true end
end
for _, entry in ipairs(entries) do
  local f = entry[2]
  if not wanted or wanted[f[4]] then
    out[#out + 1] = entry[1]
    out[#out + 1] = f[2]
    out[#out + 1] = f[4]
    out[#out + 1] = f[6]
    out[#out + 1] = f[8]
  end
end
return out
`;
