import { ClientError } from '../client-error.ts';
import type { Resolved } from '../options.ts';
import { createConnection, type Sink, type Upstream } from './connection.ts';
import { routeUrl } from './http.ts';
import type { PublishMessage } from './link.ts';
import { createPending } from './pending.ts';

// biome-ignore lint/suspicious/noExplicitAny: the arguments of sink calls and messages between tabs of this same code
type Any = any;

// Errors lose their class and `code` in a structured clone, so they cross tabs as plain objects
// marked `E` (the spread takes the own fields: code, status, topic; `message` is not enumerable),
// as an argument or as the `error` of one (a notice). One function both ways: what is sent holds
// no marked object, and what arrives no ClientError.
const wire = (v: Any): Any =>
  v instanceof ClientError
    ? { ...v, message: v.message, E: 1 }
    : v?.E
      ? new ClientError(v.code, v.message, v.status, v.topic)
      : v?.error
        ? { ...v, error: wire(v.error) }
        : v;

/**
 * One connection for all tabs of an origin that use the same URL. The tab holding the Web Lock is
 * the leader: it runs the connection for the union of every tab's topics and relays events, cursor
 * moves and status over a BroadcastChannel; the others send it their topics and publishes. Every
 * tab tracks the cursor from what it is relayed, so when the leader's tab closes (its lock is
 * released by the browser) the next tab in the lock's queue resumes from that cursor, quietly: the
 * apps saw `connecting` once already, and an `open` on the same transport is no news.
 *
 * Each tab also holds a lock of its own for its whole life, and asks for every other tab's: the
 * browser grants that request the moment the other tab is gone, closed or crashed (a crashed tab
 * says nothing), and its topics are released then. No timers, so no heartbeat that a throttled
 * background tab would send late. A tab posts nothing before it holds its own lock, so no other tab
 * can take its lock for a sign that it died.
 *
 * A follower's publish goes to the leader and waits in the follower for its answer. A leader that
 * goes never answers: when another takes over, what waits fails with `disconnected`, and the
 * client's outbox sends it again (same key) through the new one.
 *
 * Messages are calls by name (`k`), with their arguments (`a`), to every other tab or to one
 * (`to`): tp (a tab's topics; with `hi`, it just joined: the others answer with theirs; none when
 * it leaves), ld (a new leader), pub/ak (a publish and its answer), wk (a tab woke up), and from
 * the leader the sink calls (setCursor, event, reset, error, notify).
 */
export function createSharedConnection(o: Resolved, sink: Sink): Upstream {
  const name = `tidings:${routeUrl(o.url, '', {})}`;
  const me = Math.random().toString(36).slice(2);
  const channel = new BroadcastChannel(name);
  const tabs = new Map<string, string[]>();
  const [wait, settle, drop] = createPending();
  const quit = new AbortController();
  let mine: string[] = [];
  let leader: Upstream | undefined;
  let release!: () => void;
  const gone = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The leader's last status notice (its arguments): a tab that joins hears it.
  let last: Any[] | undefined;
  let started: boolean | undefined;
  let heard: boolean | undefined;
  // Calls `k` in the other tabs (in one: `to`) with these arguments.
  const post = (k: string, a: Any[] = [], to?: string): void => {
    if (started) channel.postMessage({ k, a: a.map(wire), to });
  };
  // This tab's topics, to the others; `hi`: it just joined.
  const tell = (t: string[], hi?: number): void => post('tp', [me, t, hi]);
  const retopic = (): void => leader?.topics([...new Set([mine, ...tabs.values()].flat())]);
  // `then` runs once the lock is ours; it is held until `then`'s promise settles. `quit` serves as
  // the options here and for the page listeners below: its `signal` is all they read.
  const lock = (lock: string, then: () => unknown): void => {
    navigator.locks.request(lock, quit, then).catch(() => {});
  };
  // Granted once the tab holding it has gone, however it went.
  const watch = (tab: string): void =>
    lock(`${name}:${tab}`, () => {
      if (tabs.delete(tab)) retopic();
    });

  // The leader's sink: every call but `cursor` goes to this tab's sink and, by name, to the others.
  const relay = new Proxy(sink as Any, {
    get: (_, k: string) =>
      k === 'cursor'
        ? sink.cursor
        : (...a: Any[]) => {
            if (k === 'notify' && a[0] !== 'fallback') last = a;
            // Once this tab closed, nothing gets out (see close): the next leader takes over.
            post(k, a);
            (sink as Any)[k](...a);
          },
  });

  // What the other tabs call here; anything else is a sink call from the leader.
  const calls: Any = {
    tp(tab: string, topics: string[], hi?: number) {
      if (!tabs.has(tab)) watch(tab);
      tabs.set(tab, topics);
      retopic();
      if (hi) {
        tell(mine);
        if (leader && last) post('notify', last, tab);
      }
    },
    ld: drop,
    // A follower's publish: the answer goes back to it, named by the publish's key.
    pub(tab: string, message: PublishMessage) {
      leader?.publish(message).then(
        (id) => post('ak', [message.key, id], tab),
        (error) => post('ak', [message.key, undefined, error], tab),
      );
    },
    ak: settle,
    wk: () => leader?.wake(),
  };
  channel.onmessage = ({ data: { k, a, to } }) => {
    if (to && to !== me) return;
    a = a.map(wire);
    if (calls[k]) calls[k](...a);
    else {
      heard ||= k === 'notify';
      (sink as Any)[k](...a);
    }
  };

  const hello = (): void => tell(mine, 1);
  // Leaving (closed, or into the back-forward cache): no topics now. Its lock tells when it is gone.
  const bye = (): void => tell([]);
  // Both held until this tab closes its client or goes away.
  lock(`${name}:${me}`, () => {
    started = true;
    hello();
    // Posted before this tab could post: never heard.
    drop();
    lock(name, () => {
      // A tab that heard a leader takes over from it without a word to its app.
      leader = createConnection(o, relay, heard);
      post('ld');
      retopic();
      drop();
      return gone;
    });
    return gone;
  });
  // Absent outside windows (a worker, Node with the option forced on).
  globalThis.addEventListener?.('pagehide', bye, quit);
  globalThis.addEventListener?.('pageshow', hello, quit);

  return {
    topics(topics) {
      mine = topics;
      tell(topics);
      retopic();
    },
    publish(message) {
      if (leader) return leader.publish(message);
      post('pub', [me, message]);
      // Its key names it: unique in this tab, and the answer comes back to this tab only.
      return wait(message.key);
    },
    wake() {
      leader ? leader.wake() : post('wk');
    },
    close() {
      bye();
      started = false;
      quit.abort();
      leader?.close();
      release();
      channel.close();
      drop();
    },
  };
}
