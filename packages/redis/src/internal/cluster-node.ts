import type {
  ClusterMember,
  ClusterNode,
  ControlMessage,
  NodeConnections,
  NodeInfo,
  PresenceChange,
  PresenceEdge,
  PresenceSnapshot,
} from '@tidings/core/broker';
import type { ScriptRunner } from './script.ts';

/** What a node needs from the cluster it belongs to. */
export interface NodeDeps {
  readonly member: ClusterMember;
  readonly ttlMs: number;
  readonly scripts: {
    takeSeat: ScriptRunner;
    freeSeats: ScriptRunner;
    presence: ScriptRunner;
    heartbeat: ScriptRunner;
    restore: ScriptRunner;
    leave: ScriptRunner;
    nodes: ScriptRunner;
    revoke: ScriptRunner;
  };
  /** One Redis command (HGETALL, PUBLISH). */
  command(args: string[]): Promise<unknown>;
  /** The key of a topic's presence hash. */
  presenceKey(topic: string): string;
  /** The control channel. */
  readonly channel: string;
  onError(error: unknown): void;
  /** Called once the node has left. */
  left(): void;
  /** Called after every heartbeat that reached Redis. */
  beat?(): Promise<void>;
}

// A script's answer that the node is not registered: it was reaped while cut off from Redis.
const NOT_REGISTERED = -1;

/** Reads the flat `action, topic, user` list the scripts return. */
function toEdges(reply: unknown[], from = 0): PresenceEdge[] {
  const edges: PresenceEdge[] = [];
  for (let i = from; i + 2 < reply.length; i += 3) {
    edges.push({
      action: reply[i] === 'join' ? 'join' : 'leave',
      topic: String(reply[i + 1]),
      user: String(reply[i + 2]),
    });
  }
  return edges;
}

/** A hash as node-redis returns it: a flat array (RESP2) or an object (RESP3). */
function entriesOf(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
    return out;
  }
  return Object.entries((reply ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
}

/**
 * One hub's node in the Redis cluster. It keeps a mirror of its own share (the seats it holds and
 * the presence it contributes), so that after being reaped while cut off from Redis it can put its
 * share back exactly. Seats given back are batched per turn; a seat taken after one given back in
 * the same turn waits for that one, so a closed tab frees its seat before the next tab asks.
 */
export class RedisClusterNode implements ClusterNode {
  readonly #deps: NodeDeps;
  readonly #seats = new Map<string, number>();
  readonly #presence = new Map<string, { topic: string; user: string; count: number }>();
  #freeing: Map<string, number> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #beating = false;
  #left = false;

  constructor(deps: NodeDeps) {
    this.#deps = deps;
  }

  get member(): ClusterMember {
    return this.#deps.member;
  }

  /**
   * Registers the node and starts its heartbeat. A first heartbeat that fails is reported and
   * retried by the next one: a node that is not registered yet is registered by any call it makes.
   */
  async start(heartbeatMs: number): Promise<void> {
    const beat = () => this.heartbeat().catch((error) => this.#deps.onError(error));
    this.#timer = setInterval(beat, heartbeatMs);
    (this.#timer as { unref?: () => void }).unref?.();
    await beat();
  }

  /** Refreshes the node's registration, reaps dead nodes, and restores this node if it had been reaped. */
  async heartbeat(): Promise<void> {
    if (this.#beating || this.#left) return;
    this.#beating = true;
    try {
      const connections: NodeConnections = this.#deps.member.connections();
      const reply = await this.#deps.scripts.heartbeat([
        this.#deps.member.id,
        String(this.#deps.ttlMs),
        JSON.stringify(connections),
      ]);
      const reaped = toEdges(reply, 1);
      if (reaped.length > 0) this.#deps.member.edges(reaped);
      if (Number(reply[0]) === 0) {
        const restored = await this.#restore();
        if (restored.length > 0) this.#deps.member.edges(restored);
      }
      await this.#deps.beat?.();
    } finally {
      this.#beating = false;
    }
  }

  async takeSeat(user: string, max: number): Promise<boolean> {
    this.#flushFrees();
    const take = () =>
      this.#deps.scripts.takeSeat([this.#deps.member.id, user, String(max)]) as Promise<unknown>;
    let answer = Number(await take());
    if (answer === NOT_REGISTERED) {
      const restored = await this.#restore();
      if (restored.length > 0) this.#deps.member.edges(restored);
      answer = Number(await take());
    }
    if (answer !== 1) return false;
    this.#seats.set(user, (this.#seats.get(user) ?? 0) + 1);
    return true;
  }

  freeSeat(user: string): void {
    const held = this.#seats.get(user);
    if (!held) return;
    if (held === 1) this.#seats.delete(user);
    else this.#seats.set(user, held - 1);
    if (!this.#freeing) {
      this.#freeing = new Map();
      queueMicrotask(() => this.#flushFrees());
    }
    this.#freeing.set(user, (this.#freeing.get(user) ?? 0) + 1);
  }

  #flushFrees(): void {
    const freeing = this.#freeing;
    this.#freeing = undefined;
    if (!freeing || this.#left) return;
    const args = [this.#deps.member.id];
    for (const [user, count] of freeing) args.push(user, String(count));
    this.#deps.scripts.freeSeats(args).catch((error) => this.#deps.onError(error));
  }

  async presence(changes: readonly PresenceChange[]): Promise<PresenceEdge[]> {
    const args = [this.#deps.member.id];
    for (const { topic, user, delta } of changes) {
      const key = `${topic}\0${user}`;
      const entry = this.#presence.get(key);
      const count = (entry?.count ?? 0) + delta;
      if (count <= 0) this.#presence.delete(key);
      else if (entry) entry.count = count;
      else this.#presence.set(key, { topic, user, count });
      args.push(topic, user, String(delta));
    }
    const reply: unknown = await this.#deps.scripts.presence(args);
    // Not registered: nothing was applied, and the restore (which knows these changes) says what moved.
    if (!Array.isArray(reply)) return this.#restore();
    return toEdges(reply);
  }

  async members(topic: string): Promise<PresenceSnapshot> {
    const entries = entriesOf(await this.#deps.command(['HGETALL', this.#deps.presenceKey(topic)]));
    let connections = 0;
    const users: string[] = [];
    for (const [user, count] of entries) {
      const n = Number(count);
      if (n <= 0) continue;
      users.push(user);
      connections += n;
    }
    return { users: users.sort(), connections };
  }

  async send(message: ControlMessage): Promise<void> {
    const text = JSON.stringify(message);
    if (message.type === 'revoke') {
      const { userId, atMs, untilMs } = message;
      await this.#deps.scripts.revoke([userId, String(atMs), String(untilMs), this.#deps.channel, text]);
    } else await this.#deps.command(['PUBLISH', this.#deps.channel, text]);
  }

  async nodes(): Promise<NodeInfo[]> {
    const reply = await this.#deps.scripts.nodes([]);
    const nodes: NodeInfo[] = [];
    for (let i = 0; i + 2 < reply.length; i += 3) {
      let connections: NodeConnections = { total: 0, ws: 0, sse: 0, longPoll: 0 };
      try {
        connections = { ...connections, ...JSON.parse(String(reply[i + 1])) };
      } catch {
        // A node that never reported its counts: zeros.
      }
      nodes.push({ id: String(reply[i]), connections, seenAt: Number(reply[i + 2]) });
    }
    return nodes;
  }

  async leave(): Promise<void> {
    if (this.#left) return;
    this.#flushFrees();
    this.#left = true;
    clearInterval(this.#timer);
    this.#deps.left();
    const edges = toEdges(await this.#deps.scripts.leave([this.#deps.member.id]));
    if (edges.length > 0) this.#deps.member.edges(edges);
  }

  /** Stops the heartbeat without leaving (the broker is closing; Redis reaps the node). */
  stop(): void {
    this.#left = true;
    clearInterval(this.#timer);
  }

  /** Puts this node's share back as its mirror says; resolves to the joins and leaves that caused. */
  async #restore(): Promise<PresenceEdge[]> {
    const args = [this.#deps.member.id, String(this.#deps.ttlMs), String(this.#seats.size)];
    for (const [user, count] of this.#seats) args.push(user, String(count));
    for (const { topic, user, count } of this.#presence.values()) args.push(topic, user, String(count));
    return toEdges(await this.#deps.scripts.restore(args));
  }
}
