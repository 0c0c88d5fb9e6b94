import type { PresenceChange, PresenceEdge } from '../cluster.ts';

/** Where the tracker sends its changes and the joins and leaves they cause. */
export interface PresenceSink {
  /** Applies changes to the cluster, in order; resolves to the edges they caused. */
  apply(changes: PresenceChange[]): PresenceEdge[] | Promise<PresenceEdge[]>;
  /** Publishes joins and leaves as events, in order. */
  publish(edges: PresenceEdge[]): void | Promise<void>;
  report(error: unknown): void;
}

// Topics never contain a NUL: `topic\0user` is unambiguous whatever the user id holds.
const keyOf = (topic: string, user: string): string => `${topic}\0${user}`;

/**
 * This node's share of presence. It counts the live connections of each user on each presence topic
 * and tells the cluster one change per connection. The last connection of a user on a topic is not
 * given back at once: it lingers for `graceMs`, and a connection of the same user to the same topic
 * within that time takes its place without telling anyone, so a reconnect or the gap between two
 * long polls is neither a leave nor a join. Changes made in one turn go to the cluster together.
 */
export class PresenceTracker {
  readonly #graceMs: number;
  readonly #sink: PresenceSink;
  readonly #live = new Map<string, number>();
  // Every linger lasts graceMs, so insertion order is deadline order: the first entry is due first.
  readonly #lingering = new Map<string, { topic: string; user: string; until: number }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #batch: PresenceChange[] | undefined;
  /** Settles once every change sent so far has been applied and its edges published. */
  #chain: Promise<void> = Promise.resolve();

  constructor(graceMs: number, sink: PresenceSink) {
    this.#graceMs = graceMs;
    this.#sink = sink;
  }

  /** A connection of `user` joined `topics` (all with presence on). */
  add(user: string, topics: readonly string[]): void {
    for (const topic of topics) {
      const key = keyOf(topic, user);
      const live = this.#live.get(key) ?? 0;
      this.#live.set(key, live + 1);
      // A lingering connection is still counted by the cluster: this one takes its place.
      if (live === 0 && this.#lingering.delete(key)) continue;
      this.#queue({ topic, user, delta: 1 });
    }
  }

  /** A connection of `user` left `topics` (all with presence on). */
  remove(user: string, topics: readonly string[]): void {
    for (const topic of topics) {
      const key = keyOf(topic, user);
      const live = this.#live.get(key);
      if (!live) continue;
      if (live > 1) {
        this.#live.set(key, live - 1);
        this.#queue({ topic, user, delta: -1 });
        continue;
      }
      this.#live.delete(key);
      if (this.#graceMs === 0) this.#queue({ topic, user, delta: -1 });
      else this.#linger(key, topic, user);
    }
  }

  /** Gives back every lingering connection now and waits for every change and event. For `close()`. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const { topic, user } of this.#lingering.values()) this.#queue({ topic, user, delta: -1 });
    this.#lingering.clear();
    this.#send();
    await this.#chain;
  }

  #linger(key: string, topic: string, user: string): void {
    this.#lingering.set(key, { topic, user, until: Date.now() + this.#graceMs });
    if (this.#timer === undefined) this.#arm(this.#graceMs);
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#expire(), delayMs);
    // A lingering presence must not keep a process alive on its own.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [key, entry] of this.#lingering) {
      if (entry.until > now) {
        this.#arm(entry.until - now);
        return;
      }
      this.#lingering.delete(key);
      this.#queue({ topic: entry.topic, user: entry.user, delta: -1 });
    }
  }

  #queue(change: PresenceChange): void {
    if (this.#batch) {
      this.#batch.push(change);
      return;
    }
    this.#batch = [change];
    queueMicrotask(() => this.#send());
  }

  #send(): void {
    const changes = this.#batch;
    this.#batch = undefined;
    if (!changes) return;
    // Sent at once (pipelined), published in the order sent: a join is never published after the
    // leave that followed it on this node.
    let applied: PresenceEdge[] | Promise<PresenceEdge[]>;
    try {
      applied = this.#sink.apply(changes);
    } catch (error) {
      this.#sink.report(error);
      return;
    }
    this.#chain = this.#chain
      .then(() => applied)
      .then(
        (edges) => (edges.length > 0 ? this.#sink.publish(edges) : undefined),
        (error: unknown) => this.#sink.report(error),
      );
  }
}
