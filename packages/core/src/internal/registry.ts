import { TidingsError } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Principal } from '../principal.ts';
import type { Connection, Transport } from './connection.ts';

function bump(map: Map<string, number>, key: string | undefined, delta: number): void {
  if (key === undefined) return;
  const next = (map.get(key) ?? 0) + delta;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}

/**
 * One registry across all transports: counts for the limits (total, per user, per address),
 * a set per transport for heartbeats, and the topic index that fan-out walks, so a publish costs
 * work only for the subscribers of its topic.
 */
export class Registry {
  readonly byTopic: Map<string, Set<Connection>> = new Map();
  readonly byTransport: Record<Transport, Set<Connection>> = {
    ws: new Set(),
    sse: new Set(),
    'long-poll': new Set(),
  };
  readonly #perUser = new Map<string, number>();
  readonly #perIp = new Map<string, number>();
  readonly #options: ResolvedOptions;
  #size = 0;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#size;
  }

  /** Takes a slot for the connection, or throws `too_many_connections` with Retry-After. */
  admit(connection: Connection): void {
    const o = this.#options;
    const user = connection.principal.id;
    const refuse = (what: string): never => {
      throw new TidingsError('too_many_connections', `too many connections ${what}`, {
        retryAfterMs: o.retryAfterMs,
      });
    };
    if (this.#size >= o.maxConnections) refuse('on this server');
    if (user !== undefined && (this.#perUser.get(user) ?? 0) >= o.maxConnectionsPerUser)
      refuse('for this user');
    if (connection.ip !== undefined && (this.#perIp.get(connection.ip) ?? 0) >= o.maxConnectionsPerIp) {
      refuse('from this address');
    }
    this.#size++;
    bump(this.#perUser, user, 1);
    bump(this.#perIp, connection.ip, 1);
    this.byTransport[connection.transport].add(connection);
  }

  /**
   * Gives an admitted connection its (new) principal, moving its per-user count: a WebSocket that
   * authenticated in its first message, or refreshed its token. Throws `too_many_connections` when
   * the new user is at `maxConnectionsPerUser`; the connection then keeps its old principal.
   */
  identify(connection: Connection, principal: Principal): void {
    const before = connection.principal.id;
    const after = principal.id;
    if (after !== before && after !== undefined) {
      if ((this.#perUser.get(after) ?? 0) >= this.#options.maxConnectionsPerUser) {
        throw new TidingsError('too_many_connections', 'too many connections for this user', {
          retryAfterMs: this.#options.retryAfterMs,
        });
      }
      bump(this.#perUser, before, -1);
      bump(this.#perUser, after, 1);
    }
    connection.principal = principal;
  }

  /** Adds topics to the connection and the index. */
  subscribe(connection: Connection, topics: Iterable<string>): void {
    const added: string[] = [];
    for (const topic of topics) {
      if (connection.topics.includes(topic) || added.includes(topic)) continue;
      added.push(topic);
      let set = this.byTopic.get(topic);
      if (!set) {
        set = new Set();
        this.byTopic.set(topic, set);
      }
      set.add(connection);
    }
    // concat allocates exactly what it holds; push onto the empty array reserved 17 slots, kept by
    // every idle connection.
    if (added.length > 0) connection.topics = connection.topics.concat(added);
  }

  /** Removes topics from the connection and the index. */
  unsubscribe(connection: Connection, topics: Iterable<string>): void {
    for (const topic of topics) {
      const at = connection.topics.indexOf(topic);
      if (at === -1) continue;
      connection.topics.splice(at, 1);
      const set = this.byTopic.get(topic);
      set?.delete(connection);
      if (set?.size === 0) this.byTopic.delete(topic);
    }
  }

  /** True while the connection holds a slot. */
  has(connection: Connection): boolean {
    return this.byTransport[connection.transport].has(connection);
  }

  /** Frees the connection's slot and index entries. Safe to call twice. */
  remove(connection: Connection): void {
    if (!this.byTransport[connection.transport].delete(connection)) return;
    this.unsubscribe(connection, [...connection.topics]);
    this.#size--;
    bump(this.#perUser, connection.principal.id, -1);
    bump(this.#perIp, connection.ip, -1);
  }
}
