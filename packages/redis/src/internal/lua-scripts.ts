/**
 * The broker's Lua scripts. Each runs atomically in Redis, so the sequence, the streams and the
 * channel never disagree, however many nodes publish at once.
 *
 * Keys (KEYS[1] is the head hash; the others are named from the prefix and the epoch, so a new epoch
 * never meets an old epoch's streams, which then expire by their TTL):
 * - `<prefix>head`: hash `epoch`, `seq` (the last seq issued), `forgot` (the newest seq of any
 *   topic whose marks were dropped), `sweep` (where the sweep of idle topics goes on);
 * - `<prefix><epoch>:t:<topic>`: one stream per topic, entries `<seq>-0` with fields time, event,
 *   data (in that order), trimmed by count and age, expiring retentionMs after its last event;
 * - `<prefix><epoch>:topics`: sorted set, each topic with its last seq as score;
 * - `<prefix><epoch>:lost`: hash, each topic's newest trimmed seq (its loss mark);
 * - `<prefix><epoch>:recent`: stream of the last `recentCount` seqs of all topics, each naming its
 *   topic only, so a node that missed live messages can fetch them in seq order;
 * - `<prefix>idem:<key>`: string `<epoch> <seq>`, the event an idempotency key stored, expiring with
 *   the key's window. Not per epoch: the key says the publish happened, whatever became of the log.
 */

// When the head hash is missing (first use, FLUSHALL, a restart without persistence) a new epoch
// starts. Returns the epoch, the head seq and the key base of that epoch.
const HEAD = `
local function ensure_head(head, fresh, prefix)
  local state = redis.call('HMGET', head, 'epoch', 'seq')
  if not (state[1] and state[2]) then
    redis.call('HSET', head, 'epoch', fresh, 'seq', 0, 'forgot', 0, 'sweep', 0)
    state = { fresh, '0' }
  end
  return state[1], tonumber(state[2]), prefix .. state[1] .. ':'
end
local function seq_of(id)
  return tonumber(string.match(id, '^%d+'))
end
local function now_ms()
  local now = redis.call('TIME')
  return now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
end
`;

// A head below a seq some node has already seen in the same epoch means Redis lost writes it had
// acknowledged (a failover to a replica that lagged): those seqs were handed out, so they must never
// be issued again in that epoch, and a new one starts.
const FORGETFUL = `
local function checked_head(head, fresh, prefix, seen_epoch, seen_seq)
  local epoch, top, base = ensure_head(head, fresh, prefix)
  if epoch == seen_epoch and top < tonumber(seen_seq) then
    redis.call('DEL', head)
    epoch, top, base = ensure_head(head, fresh, prefix)
  end
  return epoch, top, base
end
`;

/**
 * ARGV: prefix, channel, topic, event, data, retention count, retention ms, a fresh epoch (used only
 * when none exists), recentCount, an idempotency key ('' for none), its window in ms. Returns
 * { epoch, seq, time }, or { epoch, seq, '0', 'duplicate' } with the event a key already stored
 * (then nothing else happens: the key's lookup, the event and the key's record are one step).
 *
 * The event is stored first, so a write Redis refuses (OOM) changes nothing. Trimming then records
 * the newest seq it drops as the topic's loss mark before dropping it. Count trimming is exact (one
 * entry per publish once full); age trimming looks at no more than 100 old entries per publish. The
 * time comes from Redis's clock so age agrees across nodes. Each publish also looks at two topics of
 * the sorted set: one whose stream has expired is forgotten, its last seq folded into `forgot`.
 */
export const PUBLISH_SCRIPT: string = `${HEAD}
local prefix, topic, count, max_age = ARGV[1], ARGV[3], tonumber(ARGV[6]), tonumber(ARGV[7])
local idem = ARGV[10] ~= '' and (prefix .. 'idem:' .. ARGV[10]) or nil
if idem then
  local stored = redis.call('GET', idem)
  if stored then
    local space = string.find(stored, ' ', 1, true)
    return { string.sub(stored, 1, space - 1), string.sub(stored, space + 1), '0', 'duplicate' }
  end
end
local epoch, top, base = ensure_head(KEYS[1], ARGV[8], prefix)
local seq = string.format('%d', top + 1)
local time = now_ms()
local stream, topics, lost, recent = base .. 't:' .. topic, base .. 'topics', base .. 'lost', base .. 'recent'
redis.call('XADD', stream, seq .. '-0', 'time', time, 'event', ARGV[4], 'data', ARGV[5])
redis.call('HSET', KEYS[1], 'seq', seq)
local len = redis.call('XLEN', stream)
if len == 1 then
  -- A new stream: this topic's earlier events (if any) expired with their stream, or it was forgotten.
  local before = redis.call('ZSCORE', topics, topic)
  local mark = before and tonumber(before) or tonumber(redis.call('HGET', KEYS[1], 'forgot') or '0')
  if mark > 0 then redis.call('HSET', lost, topic, string.format('%d', mark)) end
end
if len > count then
  local gone = redis.call('XRANGE', stream, '-', '+', 'COUNT', len - count)
  redis.call('HSET', lost, topic, seq_of(gone[#gone][1]))
  redis.call('XTRIM', stream, 'MAXLEN', count)
end
local cutoff = tonumber(time) - max_age
local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
if oldest and tonumber(oldest[2][2]) < cutoff then
  local batch = redis.call('XRANGE', stream, '-', '+', 'COUNT', 100)
  local last_gone = nil
  for _, entry in ipairs(batch) do
    if tonumber(entry[2][2]) >= cutoff then break end
    last_gone = entry[1]
  end
  redis.call('HSET', lost, topic, seq_of(last_gone))
  redis.call('XTRIM', stream, 'MINID', string.format('%d-1', seq_of(last_gone)))
end
redis.call('PEXPIRE', stream, max_age)
redis.call('ZADD', topics, seq, topic)
redis.call('XADD', recent, 'MAXLEN', ARGV[9], seq .. '-0', 't', topic)
-- The marks outlive every stream of their epoch: their TTL is never below the longest retention.
local keep = max_age + 60000
for _, key in ipairs({ topics, lost, recent }) do
  local ttl = redis.call('PTTL', key)
  if ttl ~= -2 and ttl < keep then redis.call('PEXPIRE', key, keep) end
end
local from = redis.call('HGET', KEYS[1], 'sweep') or '0'
local idle = redis.call('ZRANGEBYSCORE', topics, '(' .. from, '+inf', 'WITHSCORES', 'LIMIT', 0, 2)
local forgot = tonumber(redis.call('HGET', KEYS[1], 'forgot') or '0')
for i = 1, #idle, 2 do
  if redis.call('EXISTS', base .. 't:' .. idle[i]) == 0 then
    redis.call('ZREM', topics, idle[i])
    redis.call('HDEL', lost, idle[i])
    forgot = math.max(forgot, tonumber(idle[i + 1]))
  end
end
redis.call('HSET', KEYS[1], 'forgot', string.format('%d', forgot),
  'sweep', #idle == 4 and idle[4] or '0')
-- Written last, after the event: a key never stands for an event that was not stored.
if idem then redis.call('SET', idem, epoch .. ' ' .. seq, 'PX', ARGV[11]) end
redis.call('PUBLISH', ARGV[2], epoch .. '\\n' .. seq .. '\\n' .. time .. '\\n' .. topic .. '\\n' .. ARGV[4] .. '\\n' .. ARGV[5])
return { epoch, seq, time }
`;

/**
 * Replay of some topics. ARGV: prefix, a fresh epoch, the epoch and seq the caller has seen, the
 * cursor's epoch, after seq, end seq ('' for the head), COUNT, then pairs of topic and retention ms.
 * Returns { epoch, head, 'reset' } when the cursor is of another epoch or beyond the head, else
 * { epoch, head, next, number of lost topics, the lost topics..., then for each event: seq, time,
 * topic, event, data }: up to COUNT events after the seq on those topics, merged in seq order, and
 * complete up to `next` (the seq to read after in the next page; '' when this page reached the end).
 *
 * A topic lost events after the seq when its loss mark is above it, when its stream is gone
 * although its last seq is above it, when an entry above it is older than its retention, or, for a
 * topic no longer in the sorted set, when `forgot` is above it (the safe side for a forgotten topic).
 */
export const READ_SCRIPT: string = `${HEAD}${FORGETFUL}
local prefix = ARGV[1]
local epoch, top, base = checked_head(KEYS[1], ARGV[2], prefix, ARGV[3], ARGV[4])
local after = tonumber(ARGV[6])
if epoch ~= ARGV[5] or after > top then return { epoch, string.format('%d', top), 'reset' } end
local stop = ARGV[7] == '' and top or tonumber(ARGV[7])
local count = tonumber(ARGV[8])
local topics, lost = base .. 'topics', base .. 'lost'
local forgot = tonumber(redis.call('HGET', KEYS[1], 'forgot') or '0')
-- Every mark of this epoch expired together (nothing published for longer than any retention).
if top > 0 and redis.call('EXISTS', topics) == 0 and forgot < top then
  forgot = top
  redis.call('HSET', KEYS[1], 'forgot', string.format('%d', top))
end
local now = tonumber(now_ms())
local lost_topics, events, bound = {}, {}, stop
for i = 9, #ARGV, 2 do
  local topic, max_age = ARGV[i], tonumber(ARGV[i + 1])
  local last = redis.call('ZSCORE', topics, topic)
  local gone = false
  if not last then
    gone = forgot > after
  elseif tonumber(last) > after then
    local stream = base .. 't:' .. topic
    local entries = redis.call('XRANGE', stream, string.format('%d-0', after + 1), string.format('%d-0', stop), 'COUNT', count)
    if #entries == 0 and redis.call('EXISTS', stream) == 0 then
      gone = true
    else
      gone = tonumber(redis.call('HGET', lost, topic) or '0') > after
      -- A topic with more entries than COUNT was read only so far: the page ends there.
      if #entries == count then bound = math.min(bound, seq_of(entries[#entries][1])) end
      for _, entry in ipairs(entries) do
        local f = entry[2]
        if tonumber(f[2]) < now - max_age then
          gone = true
        else
          events[#events + 1] = { seq_of(entry[1]), f[2], topic, f[4], f[6] }
        end
      end
    end
  end
  if gone then lost_topics[#lost_topics + 1] = topic end
end
table.sort(events, function(a, b) return a[1] < b[1] end)
local n = 0
while n < #events and n < count and events[n + 1][1] <= bound do n = n + 1 end
if n == count and n < #events then bound = events[n][1] end
local out = { epoch, string.format('%d', top), bound < stop and string.format('%d', bound) or '', #lost_topics }
for _, topic in ipairs(lost_topics) do out[#out + 1] = topic end
for i = 1, n do
  local e = events[i]
  out[#out + 1] = string.format('%d', e[1])
  for j = 2, 5 do out[#out + 1] = e[j] end
end
return out
`;

/**
 * The live feed's gap filler: every topic's events after a seq, in seq order, through the recent
 * stream. ARGV: prefix, a fresh epoch, the epoch and seq the caller has seen, after seq, end seq
 * ('' for the head), COUNT. Returns { epoch, head, seq of the oldest entry of the recent stream (0:
 * none), then for each seq: seq, found (1/0), time, topic, event, data }. An entry not found was
 * trimmed from its topic's stream.
 */
export const RANGE_SCRIPT: string = `${HEAD}${FORGETFUL}
local epoch, top, base = checked_head(KEYS[1], ARGV[2], ARGV[1], ARGV[3], ARGV[4])
local recent = base .. 'recent'
local first = redis.call('XRANGE', recent, '-', '+', 'COUNT', 1)[1]
local out = { epoch, string.format('%d', top), first and seq_of(first[1]) or 0 }
local stop = ARGV[6] == '' and '+' or (ARGV[6] .. '-0')
local entries = redis.call('XRANGE', recent, string.format('%d-0', tonumber(ARGV[5]) + 1), stop, 'COUNT', ARGV[7])
for _, entry in ipairs(entries) do
  local topic = entry[2][2]
  local found = redis.call('XRANGE', base .. 't:' .. topic, entry[1], entry[1])[1]
  out[#out + 1] = string.format('%d', seq_of(entry[1]))
  if found then
    local f = found[2]
    for _, v in ipairs({ '1', f[2], topic, f[4], f[6] }) do out[#out + 1] = v end
  else
    for _, v in ipairs({ '0', '0', topic, '', '' }) do out[#out + 1] = v end
  end
end
return out
`;
