import type {
  ClusterMember,
  ClusterNode,
  ClusterView,
  ControlMessage,
  NodeInfo,
  PresenceChange,
  PresenceEdge,
  PresenceSnapshot,
  Revocation,
} from './cluster.ts';

/** Adds `delta` to a count kept in a map, deleting it at 0; returns the new count. */
function bump<K>(map: Map<K, number>, key: K, delta: number): number {
  const next = (map.get(key) ?? 0) + delta;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
  return Math.max(next, 0);
}

// Topics never contain a NUL, so `topic\0user` splits back at its first NUL whatever the user id holds.
const keyOf = (topic: string, user: string): string => `${topic}\0${user}`;

/** What the cluster keeps per joined node, so that its share can be taken back when it leaves. */
interface Node {
  member: ClusterMember;
  seats: Map<string, number>;
  presence: Map<string, number>;
}

/**
 * The cluster of the hubs that share one in-process broker: every call is answered synchronously
 * from maps, and commands reach every hub in the same call. Nodes are as alive as their hubs; one
 * that leaves takes its seats and presence with it (and any user it was the last to hold is
 * reported to another node as gone). `createMemoryBroker` gives each broker one of these.
 */
export function createMemoryCluster(): ClusterView {
  const nodes = new Map<string, Node>();
  const seats = new Map<string, number>();
  const presence = new Map<string, Map<string, number>>();
  const revocations = new Map<string, Revocation>();

  function change(node: Node, { topic, user, delta }: PresenceChange, edges: PresenceEdge[]): void {
    if (delta < 0 && !node.presence.has(keyOf(topic, user))) return;
    bump(node.presence, keyOf(topic, user), delta);
    let users = presence.get(topic);
    if (!users) {
      users = new Map();
      presence.set(topic, users);
    }
    const before = users.get(user) ?? 0;
    const after = bump(users, user, delta);
    if (users.size === 0) presence.delete(topic);
    if (before === 0 && after > 0) edges.push({ topic, user, action: 'join' });
    else if (before > 0 && after === 0) edges.push({ topic, user, action: 'leave' });
  }

  function deliver(message: ControlMessage): void {
    if (message.type === 'revoke') {
      const { userId, atMs, untilMs } = message;
      revocations.set(userId, { userId, atMs, untilMs });
    }
    for (const node of [...nodes.values()]) node.member.control(message);
  }

  return {
    join(member: ClusterMember): ClusterNode {
      if (nodes.has(member.id)) throw new Error(`tidings: node ${member.id} joined twice`);
      const node: Node = { member, seats: new Map(), presence: new Map() };
      const now = Date.now();
      for (const [userId, r] of revocations) {
        if (r.untilMs <= now) revocations.delete(userId);
        else member.control({ type: 'revoke', ...r });
      }
      nodes.set(member.id, node);
      return {
        takeSeat(user, max) {
          if ((seats.get(user) ?? 0) >= max) return false;
          bump(seats, user, 1);
          bump(node.seats, user, 1);
          return true;
        },
        freeSeat(user) {
          if (!node.seats.has(user)) return;
          bump(node.seats, user, -1);
          bump(seats, user, -1);
        },
        presence(changes) {
          const edges: PresenceEdge[] = [];
          for (const c of changes) change(node, c, edges);
          return edges;
        },
        members(topic): PresenceSnapshot {
          const users = presence.get(topic);
          if (!users) return { users: [], connections: 0 };
          let connections = 0;
          for (const count of users.values()) connections += count;
          return { users: [...users.keys()].sort(), connections };
        },
        send: deliver,
        nodes(): NodeInfo[] {
          const seenAt = Date.now();
          return [...nodes.values()].map((n) => ({
            id: n.member.id,
            connections: n.member.connections(),
            seenAt,
          }));
        },
        leave() {
          if (nodes.get(member.id) !== node) return;
          nodes.delete(member.id);
          for (const [user, count] of node.seats) bump(seats, user, -count);
          const edges: PresenceEdge[] = [];
          for (const [key, count] of node.presence) {
            const at = key.indexOf('\0');
            const topic = key.slice(0, at);
            const user = key.slice(at + 1);
            for (let i = 0; i < count; i++) change(node, { topic, user, delta: -1 }, edges);
          }
          const heir = nodes.values().next().value;
          if (edges.length > 0) heir?.member.edges(edges);
        },
      };
    },
  };
}
