import type { ControlMessage, PresenceEdge } from '../cluster.ts';
import { TidingsError } from '../errors.ts';
import { createEpoch } from '../event-id.ts';
import type { DisconnectReason } from '../hooks.ts';
import { createMemoryCluster } from '../memory-cluster.ts';
import type { Principal } from '../principal.ts';
import { PRESENCE_EVENTS } from '../protocol/presence.ts';
import { callHook } from './call-hook.ts';
import { ClusterLink } from './cluster-link.ts';
import type { Connection, EndReason, Transport } from './connection.ts';
import type { HubContext } from './hub-context.ts';
import { HubMetrics } from './hub-metrics.ts';
import { applyControl } from './operator.ts';
import { PresenceTracker } from './presence-tracker.ts';
import { Revocations } from './revocations.ts';

/**
 * The operator's side of a hub: its node in the cluster (seats for `maxConnectionsPerUser`,
 * commands, revocations), presence, the app's hooks and the metrics. The hub context calls it at
 * the moments of a connection's life; every part the options leave out costs one check.
 */
export class HubOperator {
  /** This hub's id in its cluster. */
  readonly nodeId: string = createEpoch().slice(0, 12);
  readonly cluster: ClusterLink;
  readonly revocations: Revocations = new Revocations();
  /** Present only when some topics keep presence (the `presence` option). */
  readonly presence: PresenceTracker | undefined;
  /** Present only with the `meter` option. */
  readonly metrics: HubMetrics | undefined;
  readonly #ctx: HubContext;
  /** Why the server ended each connection still closing; kept only when a hook or the metrics want it. */
  readonly #endReasons: Map<Connection, EndReason> | undefined;

  constructor(ctx: HubContext) {
    this.#ctx = ctx;
    const o = ctx.options;
    if (o.onDisconnect || o.meter) this.#endReasons = new Map();
    if (o.meter) {
      const registry = ctx.registry;
      this.metrics = new HubMetrics(o.meter, {
        nodeId: this.nodeId,
        connections: () => {
          const t = registry.byTransport;
          return { ws: t.ws.size, sse: t.sse.size, 'long-poll': t['long-poll'].size };
        },
        subscriptions: () => {
          let subscriptions = 0;
          for (const set of registry.byTopic.values()) subscriptions += set.size;
          return { subscriptions, topics: registry.byTopic.size };
        },
        published: () => ctx.stats().published,
      });
    }
    if (o.presence) {
      this.presence = new PresenceTracker(o.presenceGraceMs, {
        apply: (changes) => this.cluster.with((node) => node.presence(changes)),
        publish: (edges) => this.publishEdges(edges),
        report: (error) => this.brokerError(error),
      });
    }
    // Last: joining may deliver stored revocations to `control` at once.
    this.cluster = new ClusterLink(ctx.broker.cluster ?? createMemoryCluster(), {
      id: this.nodeId,
      control: (message) => applyControl(ctx, this.revocations, message),
      edges: (edges) => void this.publishEdges(edges),
      connections: () => ctx.connections(),
    });
  }

  /** Throws `revoked` (401) for a principal whose tokens were revoked. */
  checkRevoked(principal: Principal): void {
    if (this.revocations.refuses(principal, Date.now())) {
      throw new TidingsError('revoked', 'this token was revoked');
    }
  }

  /**
   * Takes one of the principal's connection seats in the cluster, so that `maxConnectionsPerUser`
   * holds across every node. Undefined (nothing to wait for) for anonymous principals and when the
   * cluster answered at once; throws or rejects with `too_many_connections` or `unavailable`.
   */
  takeSeat(principal: Principal): Promise<void> | undefined {
    if (principal.id === undefined) return undefined;
    const o = this.#ctx.options;
    const failed = (error: unknown): unknown => {
      if (error instanceof TidingsError && error.code === 'unavailable') this.brokerError(error.cause);
      return error;
    };
    try {
      return this.cluster.takeSeat(principal.id, o.maxConnectionsPerUser, o.retryAfterMs)?.catch((error) => {
        throw failed(error);
      });
    } catch (error) {
      throw failed(error);
    }
  }

  /** A connection was admitted. */
  connected(connection: Connection): void {
    const hook = this.#ctx.options.onConnect;
    if (hook) callHook(this.#ctx.report, 'onConnect', hook, connection);
  }

  /** A connection is about to give back its slot; its topics are still on it. */
  leaving(connection: Connection): void {
    const user = connection.principal.id;
    if (this.presence && user !== undefined)
      this.presence.remove(user, this.#presenceTopics(connection.topics));
  }

  /** A connection gave back its slot. */
  left(connection: Connection): void {
    const user = connection.principal.id;
    if (user !== undefined) this.cluster.freeSeat(user);
    if (!this.#endReasons) return;
    const reason: DisconnectReason = this.#endReasons.get(connection) ?? 'client';
    this.#endReasons.delete(connection);
    this.metrics?.disconnected(connection.transport, reason);
    const hook = this.#ctx.options.onDisconnect;
    if (hook) callHook(this.#ctx.report, 'onDisconnect', hook, connection, reason);
  }

  ended(connection: Connection, reason: EndReason): void {
    this.#endReasons?.set(connection, reason);
  }

  subscribed(connection: Connection, topics: readonly string[]): void {
    const user = connection.principal.id;
    if (this.presence && user !== undefined) this.presence.add(user, this.#presenceTopics(topics));
    const hook = this.#ctx.options.onSubscribe;
    if (hook) callHook(this.#ctx.report, 'onSubscribe', hook, connection, topics);
  }

  unsubscribed(connection: Connection, topics: readonly string[]): void {
    const user = connection.principal.id;
    if (this.presence && user !== undefined) this.presence.remove(user, this.#presenceTopics(topics));
    const hook = this.#ctx.options.onUnsubscribe;
    if (hook) callHook(this.#ctx.report, 'onUnsubscribe', hook, connection, topics);
  }

  reset(transport: Transport | 'poll', topics?: readonly string[], connection?: Connection): void {
    this.metrics?.reset(transport, topics);
    const hook = this.#ctx.options.onReset;
    if (!hook) return;
    const info = connection ? { transport, connection } : { transport };
    callHook(this.#ctx.report, 'onReset', hook, topics ? { ...info, topics } : info);
  }

  /** Sends an operator command to every node of the cluster. */
  async command(message: ControlMessage): Promise<void> {
    try {
      await this.cluster.with((node) => node.send(message));
    } catch (error) {
      throw this.#ctx.brokerFailed(error);
    }
  }

  /** Publishes presence joins and leaves as events of their topics, in order. Never rejects. */
  async publishEdges(edges: readonly PresenceEdge[]): Promise<void> {
    // Issued one after another without waiting, so a broker that orders its calls keeps their order.
    const published = edges.map(async ({ topic, user, action }) => {
      const event = action === 'join' ? PRESENCE_EVENTS.join : PRESENCE_EVENTS.leave;
      await this.#ctx.store({ topic, event, data: JSON.stringify({ user }) });
      this.metrics?.presence(action);
    });
    for (const result of await Promise.allSettled(published)) {
      if (result.status === 'rejected') this.brokerError(result.reason);
    }
  }

  brokerError(error: unknown): void {
    this.metrics?.brokerError();
    this.#ctx.report(error, { stage: 'broker' });
  }

  /** Gives back what the node holds in the cluster: lingering presence, then the node itself. For `close()`. */
  async close(): Promise<void> {
    await this.presence?.flush();
    try {
      await this.cluster.with((node) => node.leave());
    } catch (error) {
      this.brokerError(error);
    }
    this.metrics?.close();
  }

  #presenceTopics(topics: readonly string[]): string[] {
    const enabled = this.#ctx.options.presence!;
    return topics.filter((topic) => {
      try {
        return enabled(topic);
      } catch (error) {
        this.#ctx.report(error, { stage: 'hook', hook: 'presence' });
        return false;
      }
    });
  }
}
