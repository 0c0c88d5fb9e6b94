import type { ClusterMember, ClusterNode, ClusterView } from '../cluster.ts';
import { TidingsError } from '../errors.ts';

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/**
 * A hub's handle on its cluster node. Joining may be asynchronous (a distributed cluster registers
 * the node); calls made before it completes wait for it. Answers that come synchronously (the
 * in-memory cluster) stay synchronous, so a hub on the in-memory broker takes a seat without a
 * promise.
 */
export class ClusterLink {
  #node: ClusterNode | undefined;
  readonly #joined: Promise<ClusterNode>;

  constructor(view: ClusterView, member: ClusterMember) {
    const joined = view.join(member);
    if (isPromise(joined)) {
      this.#joined = joined.then((node) => {
        this.#node = node;
        return node;
      });
      // Every caller handles the failure; this only keeps it from being reported as unhandled.
      this.#joined.catch(() => {});
    } else {
      this.#node = joined;
      this.#joined = Promise.resolve(joined);
    }
  }

  /** Runs `fn` on the node, at once when it has joined, else once it has. */
  with<T>(fn: (node: ClusterNode) => T | Promise<T>): T | Promise<T> {
    return this.#node ? fn(this.#node) : this.#joined.then(fn);
  }

  /**
   * Takes one of `user`'s seats; undefined when it was taken synchronously, a promise otherwise.
   * Throws (or rejects with) `too_many_connections` when the cluster holds `max` already, and
   * `unavailable` when the cluster could not be asked.
   */
  takeSeat(user: string, max: number, retryAfterMs: number): Promise<void> | undefined {
    const refused = () =>
      new TidingsError('too_many_connections', 'too many connections for this user', { retryAfterMs });
    let answer: boolean | Promise<boolean>;
    try {
      answer = this.with((node) => node.takeSeat(user, max));
    } catch (error) {
      throw new TidingsError('unavailable', 'the cluster could not be reached', {
        retryAfterMs,
        cause: error,
      });
    }
    if (!isPromise(answer)) {
      if (!answer) throw refused();
      return undefined;
    }
    return answer.then(
      (taken) => {
        if (!taken) throw refused();
      },
      (error: unknown) => {
        throw new TidingsError('unavailable', 'the cluster could not be reached', {
          retryAfterMs,
          cause: error,
        });
      },
    );
  }

  freeSeat(user: string): void {
    if (this.#node) this.#node.freeSeat(user);
    else void this.#joined.then((node) => node.freeSeat(user));
  }
}
