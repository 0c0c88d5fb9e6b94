/**
 * The cluster seam: an optional capability of a broker (`broker.cluster`). Hubs that share a broker
 * are the nodes of one cluster; through this view each node takes per-user connection seats, keeps
 * presence, sends operator commands to every node, and learns which nodes are alive. The in-memory
 * broker implements it for the hubs of one process, `@tidings/redis` across processes. A broker
 * without it gives each hub a cluster of its own.
 */

/** Why an operator ends connections (`hub.disconnect`); each is a code of the protocol's table. */
export type OperatorReason = 'kicked' | 'revoked' | 'unavailable';

/** Which connections an operator command acts on. */
export type ConnectionTarget = { userId: string } | { connectionId: string } | { topic: string };

/** A revocation: tokens of `userId` issued at or before `atMs` are refused until `untilMs` (ms since the epoch). */
export interface Revocation {
  userId: string;
  atMs: number;
  untilMs: number;
}

/** An operator command, delivered to every node of the cluster, the sender included. */
export type ControlMessage =
  | { type: 'disconnect'; target: ConnectionTarget; reason: OperatorReason }
  | { type: 'unsubscribe'; userId: string; topics: string[] }
  | ({ type: 'revoke' } & Revocation);

/** A change in one user's connections to a presence topic on one node: +1 or -1. */
export interface PresenceChange {
  topic: string;
  user: string;
  delta: 1 | -1;
}

/** A user's first connection to a topic in the whole cluster (`join`), or their last one gone (`leave`). */
export interface PresenceEdge {
  topic: string;
  user: string;
  action: 'join' | 'leave';
}

/** Who is on a topic, cluster-wide. */
export interface PresenceSnapshot {
  /** Each user once, however many connections they hold, sorted. */
  users: string[];
  /** Their connections in all (a connection closed less than `presenceGraceMs` ago still counts). */
  connections: number;
}

/** Open connections of one node by transport. */
export interface NodeConnections {
  total: number;
  ws: number;
  sse: number;
  longPoll: number;
}

/** A live node, as the cluster knows it. */
export interface NodeInfo {
  id: string;
  connections: NodeConnections;
  /** When the node last reported (ms since the epoch): now for in-process nodes, its last heartbeat otherwise. */
  seenAt: number;
}

/** What a hub hands the cluster when it joins. */
export interface ClusterMember {
  /** The node's id, unique in the cluster. */
  readonly id: string;
  /** An operator command from any node, this one included. Also called for every stored revocation when the node joins or reconnects. */
  control(message: ControlMessage): void;
  /**
   * Joins and leaves the cluster found outside a call of this node, for this node to publish: the
   * users of a node that died (or left) without giving its presence back are gone (called on
   * exactly one surviving node), or this node's own presence was restored after a partition.
   */
  edges(edges: PresenceEdge[]): void;
  /** The node's counts, for `nodes()` on other nodes. */
  connections(): NodeConnections;
}

/** A hub's place in the cluster. Sync or async returns: the in-memory cluster answers synchronously. */
export interface ClusterNode {
  /**
   * Takes one of `user`'s connection seats if the cluster holds fewer than `max`; false when it
   * holds `max` already. Atomic across nodes: the cluster never holds more than `max`.
   */
  takeSeat(user: string, max: number): boolean | Promise<boolean>;
  /** Gives a seat back. */
  freeSeat(user: string): void;
  /** Applies presence changes in order; returns the joins and leaves they caused, in order. */
  presence(changes: readonly PresenceChange[]): PresenceEdge[] | Promise<PresenceEdge[]>;
  /** Who is on `topic`. */
  members(topic: string): PresenceSnapshot | Promise<PresenceSnapshot>;
  /** Delivers a command to every node (a revocation is also stored, for nodes and connections to come). */
  send(message: ControlMessage): void | Promise<void>;
  /** The live nodes. */
  nodes(): NodeInfo[] | Promise<NodeInfo[]>;
  /** Leaves the cluster: its seats and presence are dropped (the hub has already removed its own). */
  leave(): void | Promise<void>;
}

/** A broker's cluster capability: how a hub joins the cluster of the hubs sharing the broker. */
export interface ClusterView {
  join(member: ClusterMember): ClusterNode | Promise<ClusterNode>;
}
