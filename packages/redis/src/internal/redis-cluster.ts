import type { ClusterMember, ClusterNode, ClusterView, ControlMessage } from '@tidings/core/broker';
import type { RedisCommandClient, RedisCommandOptions, RedisSubscriberClient } from '../redis-client.ts';
import { RedisClusterNode } from './cluster-node.ts';
import {
  FREE_SEATS,
  HEARTBEAT,
  LEAVE,
  NODES,
  PRESENCE,
  RESTORE,
  REVOKE,
  TAKE_SEAT,
} from './cluster-scripts.ts';
import { createScript, type ScriptRunner } from './script.ts';

/** The broker's options that concern the cluster view. */
export interface RedisClusterOptions {
  /**
   * How often each node tells Redis it is alive, in ms. A node that stops (a crash, SIGKILL, a
   * partition) is declared dead 3 heartbeats after its last one and reaped by the next heartbeat of
   * a surviving node: it leaves presence, and frees its users' seats, within 4 heartbeats.
   * Default 5000 (20 s). Cannot be turned off: it is how the cluster finds a node that is gone.
   */
  clusterHeartbeatMs?: number;
}

/** The defaults of the cluster options. */
export const REDIS_CLUSTER_DEFAULTS: { readonly clusterHeartbeatMs: 5000 } = { clusterHeartbeatMs: 5000 };

/** What the cluster needs from the broker. */
export interface RedisClusterDeps {
  client: RedisCommandClient;
  subscriber: RedisSubscriberClient;
  /** The broker's key prefix; the cluster's keys are `<prefix>cluster:…`. */
  prefix: string;
  options: RedisClusterOptions;
  commandOptions: () => RedisCommandOptions;
  /**
   * Bounds a call by the broker's `commandTimeoutMs` (a refusal with `unavailable`). node-redis's own
   * `timeout` stops counting once a command is written, so a frozen Redis would hold it for good.
   */
  bounded<T>(work: Promise<T>, what: string): Promise<T>;
  onError(error: unknown): void;
}

/** The cluster view of a Redis broker, and its lifecycle. */
export interface RedisCluster {
  readonly view: ClusterView;
  /** Subscribes to the control channel. */
  start(): Promise<void>;
  /** Stops every node's heartbeat and unsubscribes (nodes not left are reaped by the others). */
  close(): Promise<void>;
}

function isControlMessage(value: unknown): value is ControlMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'disconnect' || type === 'unsubscribe' || type === 'revoke';
}

/**
 * The cluster of the hubs sharing one Redis, as `broker.cluster`. Keys (all under
 * `<prefix>cluster:`): `nodes` (a sorted set of node ids by the time they expire), `node:<id>`
 * (its connection counts), `seats` and `seats:<id>` (connection seats per user, in all and per
 * node), `presence:<topic>` and `presence-of:<id>` (connections per user on a topic, in all and per
 * node), `revoked` (revocations per user); channel `<prefix>cluster:control`.
 */
export function createRedisCluster(deps: RedisClusterDeps): RedisCluster {
  const heartbeatMs = deps.options.clusterHeartbeatMs ?? REDIS_CLUSTER_DEFAULTS.clusterHeartbeatMs;
  if (!Number.isSafeInteger(heartbeatMs) || heartbeatMs < 1) {
    throw new TypeError(`clusterHeartbeatMs must be a positive integer, got ${heartbeatMs}`);
  }
  const p = `${deps.prefix}cluster:`;
  const channel = `${p}control`;
  const script = (source: string): ScriptRunner => {
    const run = createScript(deps.client, source, [p], [], deps.commandOptions);
    return (args) => deps.bounded(run(args), 'a cluster command');
  };
  const scripts = {
    takeSeat: script(TAKE_SEAT),
    freeSeats: script(FREE_SEATS),
    presence: script(PRESENCE),
    heartbeat: script(HEARTBEAT),
    restore: script(RESTORE),
    leave: script(LEAVE),
    nodes: script(NODES),
    revoke: script(REVOKE),
  };
  const command = (args: string[]) =>
    deps.bounded(deps.client.sendCommand(args, deps.commandOptions()), 'a cluster command');
  const nodes = new Set<RedisClusterNode>();
  let closed = false;

  const receive = (text: string) => {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      message = undefined;
    }
    if (!isControlMessage(message)) {
      deps.onError(new Error('tidings: ignored a malformed message on the cluster control channel'));
      return;
    }
    for (const node of nodes) node.member.control(message);
  };

  // Revocations are stored, so a node that joins, or reconnects after missing announcements, reads them.
  async function loadRevocations(members: Iterable<ClusterMember>): Promise<void> {
    const reply = await command(['HGETALL', `${p}revoked`]);
    const flat = Array.isArray(reply)
      ? reply.map(String)
      : Object.entries(reply ?? {})
          .flat()
          .map(String);
    const now = Date.now();
    for (const member of members) {
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const [atMs, untilMs] = flat[i + 1]!.split(' ').map(Number) as [number, number];
        if (untilMs > now) member.control({ type: 'revoke', userId: flat[i]!, atMs, untilMs });
      }
    }
  }
  const onReady = () => {
    const members = [...nodes].map((node) => node.member);
    loadRevocations(members).catch((error) => deps.onError(error));
  };

  return {
    view: {
      async join(member: ClusterMember): Promise<ClusterNode> {
        if (closed) throw new Error('tidings: the Redis broker is closed');
        // Revocations are read once the node's heartbeat reaches Redis, and again after a reconnect.
        let unread = true;
        const node: RedisClusterNode = new RedisClusterNode({
          member,
          ttlMs: heartbeatMs * 3,
          scripts,
          command,
          presenceKey: (topic) => `${p}presence:${topic}`,
          channel,
          onError: deps.onError,
          left: () => nodes.delete(node),
          beat: async () => {
            if (!unread) return;
            await loadRevocations([member]);
            unread = false;
          },
        });
        nodes.add(node);
        await node.start(heartbeatMs);
        return node;
      },
    },
    async start() {
      await deps.subscriber.subscribe(channel, receive);
      deps.subscriber.on('ready', onReady);
    },
    async close() {
      closed = true;
      for (const node of nodes) node.stop();
      nodes.clear();
      deps.subscriber.off('ready', onReady);
      if (deps.subscriber.isReady) await deps.subscriber.unsubscribe(channel, receive).catch(() => {});
    },
  };
}
