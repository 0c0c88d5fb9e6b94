/**
 * The cluster view's Lua scripts. Each runs atomically in Redis, so a seat is never taken twice,
 * a user's join or leave is decided by exactly one call, and a dead node is reaped by exactly one
 * survivor, however many nodes act at once.
 *
 * Every script gets the cluster's key prefix `p` as KEYS[1] (the node registry is `p..'nodes'`) and
 * builds the other keys from it (see cluster-keys.ts for the layout). Keys made inside a script are
 * fine on a single Redis, primary with replicas, or Sentinel; not on Redis Cluster, which the
 * broker does not support anyway. Times are Redis's clock (TIME), so nodes whose clocks differ
 * still agree on who is alive.
 *
 * A script that changes a node's share first checks that the node is registered and returns -1
 * when it is not (it was reaped while cut off from Redis): the node then restores its share
 * (RESTORE) and tries again, so nothing is ever written for a node nobody would reap.
 */

const NOW = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

// Adds delta to one user's count of a topic; returns the count before and after.
const PRESENCE_ADD = `
local function presence_add(p, topic, user, delta)
  local key = p .. 'presence:' .. topic
  local after = redis.call('HINCRBY', key, user, delta)
  if after <= 0 then redis.call('HDEL', key, user) end
  return after - delta, after
end
`;

/** ARGV: node, user, max. Returns 1 (taken), 0 (the user holds max seats), -1 (node not registered). */
export const TAKE_SEAT = `
local p, node, user, max = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
if not redis.call('ZSCORE', p .. 'nodes', node) then return -1 end
if tonumber(redis.call('HGET', p .. 'seats', user) or '0') >= max then return 0 end
redis.call('HINCRBY', p .. 'seats', user, 1)
redis.call('HINCRBY', p .. 'seats:' .. node, user, 1)
return 1
`;

/** ARGV: node, then pairs of user and count to give back. Never gives back more than the node holds. */
export const FREE_SEATS = `
local p, node = KEYS[1], ARGV[1]
local mine = p .. 'seats:' .. node
for i = 2, #ARGV, 2 do
  local user = ARGV[i]
  local held = tonumber(redis.call('HGET', mine, user) or '0')
  local n = math.min(held, tonumber(ARGV[i + 1]))
  if n > 0 then
    if redis.call('HINCRBY', mine, user, -n) <= 0 then redis.call('HDEL', mine, user) end
    if redis.call('HINCRBY', p .. 'seats', user, -n) <= 0 then redis.call('HDEL', p .. 'seats', user) end
  end
end
return 1
`;

/**
 * ARGV: node, then triples of topic, user, delta (+1 or -1). Returns -1 (node not registered) or the
 * edges as a flat list: action ('join' | 'leave'), topic, user, in the order of the changes.
 */
export const PRESENCE: string = `${PRESENCE_ADD}
local p, node = KEYS[1], ARGV[1]
if not redis.call('ZSCORE', p .. 'nodes', node) then return -1 end
local mine = p .. 'presence-of:' .. node
local edges = {}
for i = 2, #ARGV, 3 do
  local topic, user, delta = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local field = topic .. '\\0' .. user
  if delta > 0 or tonumber(redis.call('HGET', mine, field) or '0') > 0 then
    if redis.call('HINCRBY', mine, field, delta) <= 0 then redis.call('HDEL', mine, field) end
    local before, after = presence_add(p, topic, user, delta)
    if before <= 0 and after > 0 then
      table.insert(edges, 'join'); table.insert(edges, topic); table.insert(edges, user)
    elseif before > 0 and after <= 0 then
      table.insert(edges, 'leave'); table.insert(edges, topic); table.insert(edges, user)
    end
  end
end
return edges
`;

// Takes back everything a node holds; appends the users it leaves behind to edges.
const DROP_NODE = `
local function drop_node(p, dead, edges)
  local seats = redis.call('HGETALL', p .. 'seats:' .. dead)
  for i = 1, #seats, 2 do
    if redis.call('HINCRBY', p .. 'seats', seats[i], -tonumber(seats[i + 1])) <= 0 then
      redis.call('HDEL', p .. 'seats', seats[i])
    end
  end
  local held = redis.call('HGETALL', p .. 'presence-of:' .. dead)
  for i = 1, #held, 2 do
    local cut = string.find(held[i], '\\0', 1, true)
    local topic, user = string.sub(held[i], 1, cut - 1), string.sub(held[i], cut + 1)
    local before, after = presence_add(p, topic, user, -tonumber(held[i + 1]))
    if before > 0 and after <= 0 then
      table.insert(edges, 'leave'); table.insert(edges, topic); table.insert(edges, user)
    end
  end
  redis.call('DEL', p .. 'seats:' .. dead, p .. 'presence-of:' .. dead, p .. 'node:' .. dead)
  redis.call('ZREM', p .. 'nodes', dead)
end
`;

/**
 * The heartbeat, run by every node every `clusterHeartbeatMs`. ARGV: node, ttlMs, the node's
 * connections (JSON). Registers (or refreshes) the node until now + ttl, then reaps up to 16 nodes
 * whose time ran out. Returns { 1 if the node was registered before, else 0, then the edges of the
 * reaped nodes' users who are now gone (as PRESENCE returns them) }.
 */
export const HEARTBEAT: string = `${NOW}${PRESENCE_ADD}${DROP_NODE}
local p, node, ttl = KEYS[1], ARGV[1], tonumber(ARGV[2])
local now = now_ms()
local known = redis.call('ZSCORE', p .. 'nodes', node) and 1 or 0
redis.call('ZADD', p .. 'nodes', now + ttl, node)
redis.call('HSET', p .. 'node:' .. node, 'connections', ARGV[3], 'seen', now)
local result = { known }
local dead = redis.call('ZRANGEBYSCORE', p .. 'nodes', '-inf', now, 'LIMIT', 0, 16)
for _, gone in ipairs(dead) do
  if gone ~= node then drop_node(p, gone, result) end
end
return result
`;

/**
 * Sets a node's share to exactly what the node says it holds: after it was reaped while cut off from
 * Redis, or whenever its share may have drifted. ARGV: node, ttlMs, the number of seat pairs n, then
 * n pairs of user and count, then triples of topic, user, count. Only the differences are applied,
 * so users whose presence did not change see no event. Returns the joins and leaves the differences
 * cause, as PRESENCE returns them.
 */
export const RESTORE: string = `${NOW}${PRESENCE_ADD}
local p, node, ttl, n = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', p .. 'nodes', now_ms() + ttl, node)
local mine = p .. 'seats:' .. node
local seats = {}
local old = redis.call('HGETALL', mine)
for i = 1, #old, 2 do seats[old[i]] = -tonumber(old[i + 1]) end
local last = 3 + n * 2
for i = 4, last, 2 do seats[ARGV[i]] = (seats[ARGV[i]] or 0) + tonumber(ARGV[i + 1]) end
redis.call('DEL', mine)
for i = 4, last, 2 do redis.call('HSET', mine, ARGV[i], ARGV[i + 1]) end
for user, delta in pairs(seats) do
  if delta ~= 0 and redis.call('HINCRBY', p .. 'seats', user, delta) <= 0 then
    redis.call('HDEL', p .. 'seats', user)
  end
end
local held = p .. 'presence-of:' .. node
local fields, order = {}, {}
old = redis.call('HGETALL', held)
for i = 1, #old, 2 do fields[old[i]] = -tonumber(old[i + 1]); table.insert(order, old[i]) end
redis.call('DEL', held)
for i = last + 1, #ARGV, 3 do
  local field = ARGV[i] .. '\\0' .. ARGV[i + 1]
  if fields[field] == nil then table.insert(order, field) end
  fields[field] = (fields[field] or 0) + tonumber(ARGV[i + 2])
  redis.call('HSET', held, field, ARGV[i + 2])
end
local edges = {}
for _, field in ipairs(order) do
  local delta = fields[field]
  if delta ~= 0 then
    local cut = string.find(field, '\\0', 1, true)
    local topic, user = string.sub(field, 1, cut - 1), string.sub(field, cut + 1)
    local before, after = presence_add(p, topic, user, delta)
    if before <= 0 and after > 0 then
      table.insert(edges, 'join'); table.insert(edges, topic); table.insert(edges, user)
    elseif before > 0 and after <= 0 then
      table.insert(edges, 'leave'); table.insert(edges, topic); table.insert(edges, user)
    end
  end
end
return edges
`;

/** A node leaves on purpose. ARGV: node. Returns the edges, as PRESENCE does. */
export const LEAVE: string = `${PRESENCE_ADD}${DROP_NODE}
local edges = {}
drop_node(KEYS[1], ARGV[1], edges)
return edges
`;

/** The live nodes. Returns a flat list: id, connections (JSON), seen (ms). */
export const NODES: string = `${NOW}
local p = KEYS[1]
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', now_ms(), '+inf')) do
  local info = redis.call('HMGET', p .. 'node:' .. id, 'connections', 'seen')
  table.insert(out, id); table.insert(out, info[1] or '{}'); table.insert(out, info[2] or '0')
end
return out
`;

/**
 * Stores a revocation and announces it, in one step. ARGV: user, atMs, untilMs, the control channel,
 * the message. Revocations past their time are dropped here, so the hash stays small.
 */
export const REVOKE = `
local p = KEYS[1]
local key = p .. 'revoked'
redis.call('HSET', key, ARGV[1], ARGV[2] .. ' ' .. ARGV[3])
local all = redis.call('HGETALL', key)
for i = 1, #all, 2 do
  local until_ms = tonumber(string.match(all[i + 1], ' (%d+)$'))
  if until_ms and until_ms <= tonumber(ARGV[2]) then redis.call('HDEL', key, all[i]) end
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`;
