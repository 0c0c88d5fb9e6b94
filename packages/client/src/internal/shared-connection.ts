import { ClientError } from '../client-error.ts';
import type { Resolved } from '../options.ts';
import { createConnection, type NoticeInfo, type Sink, type Upstream } from './connection.ts';
import { routeUrl } from './http.ts';
import type { PublishMessage } from './link.ts';

type Settle = [(id: string) => void, (error: ClientError) => void, PublishMessage];
type PlainError = { code: string; message: string; status: number | undefined };

// Errors lose their class and `code` in a structured clone, so they cross tabs as plain objects.
const toPlain = (e: ClientError): PlainError => ({ code: e.code, message: e.message, status: e.status });
const toError = (e: PlainError): ClientError => new ClientError(e.code, e.message, e.status);

/**
 * One connection for all tabs of an origin that use the same URL. The tab holding the Web Lock is
 * the leader: it runs the connection for the union of every tab's topics and relays events, cursor
 * moves and status over a BroadcastChannel; the others send it their topics and publishes. Every
 * tab tracks the cursor from what it is relayed, so when the leader's tab closes (its lock is
 * released by the browser) the next tab in the lock's queue resumes from that cursor.
 *
 * Messages (`k`): hi (a tab joined, with its topics), tp (a tab's topics), bye (a tab left),
 * ld (a new leader: resend unacknowledged publishes), pub/ak (a publish and its answer),
 * wk (a tab woke up), and from the leader ev, rs, cu, er, st (event, reset, cursor, error, status).
 */
export function createSharedConnection(o: Resolved, sink: Sink): Upstream {
  const name = `tidings:${routeUrl(o.url, '', {})}`;
  const me = Math.random().toString(36).slice(2);
  const channel = new BroadcastChannel(name);
  const tabs = new Map<string, string[]>();
  const pending = new Map<string, Settle>();
  const quit = new AbortController();
  let mine: string[] = [];
  let leader: Upstream | undefined;
  let release: (() => void) | undefined;
  let last: [string, NoticeInfo] | undefined;
  let refs = 0;
  let closing = false;
  // biome-ignore lint/suspicious/noExplicitAny: messages between tabs of this same code
  const post = (message: any): void => channel.postMessage(message);
  const retopic = (): void => leader?.setTopics([...new Set([mine, ...tabs.values()].flat())]);
  const wire = (info: NoticeInfo) => (info.error ? { ...info, error: toPlain(info.error) } : info);
  const leaderPublish = (message: PublishMessage) => leader!.publish(message);

  const relay: Sink = {
    getCursor: sink.getCursor,
    setCursor(c) {
      post({ k: 'cu', c });
      sink.setCursor(c);
    },
    event(e) {
      post({ k: 'ev', e });
      sink.event(e);
    },
    reset(c) {
      post({ k: 'rs', c });
      sink.reset(c);
    },
    error(e) {
      post({ k: 'er', x: toPlain(e) });
      sink.error(e);
    },
    notify(n, info) {
      // This tab going away is not the connection closing for the others: the next leader takes over.
      if (closing) return;
      if (n !== 'fallback') last = [n, info];
      post({ k: 'st', n, i: wire(info) });
      sink.notify(n, info);
    },
  };

  channel.onmessage = ({ data: m }) => {
    if (m.to && m.to !== me) return;
    const k = m.k;
    if (k === 'hi' || k === 'tp') tabs.set(m.f, m.t);
    if (k === 'bye') tabs.delete(m.f);
    if (k === 'hi' || k === 'tp' || k === 'bye') retopic();
    if (k === 'hi') {
      post({ k: 'tp', f: me, t: mine });
      if (leader && last) post({ k: 'st', n: last[0], i: wire(last[1]), to: m.f });
    } else if (k === 'ld') {
      for (const [r, settle] of pending) post({ k: 'pub', f: me, r, m: settle[2] });
    } else if (k === 'pub' && leader) {
      leaderPublish(m.m).then(
        (id) => post({ k: 'ak', to: m.f, r: m.r, id }),
        (e) => post({ k: 'ak', to: m.f, r: m.r, x: toPlain(e) }),
      );
    } else if (k === 'ak') {
      const settle = pending.get(m.r);
      pending.delete(m.r);
      if (m.x) settle?.[1](toError(m.x));
      else settle?.[0](m.id);
    } else if (k === 'wk') leader?.wake();
    else if (k === 'ev') sink.event(m.e);
    else if (k === 'rs') sink.reset(m.c);
    else if (k === 'cu') sink.setCursor(m.c);
    else if (k === 'er') sink.error(toError(m.x));
    else if (k === 'st') sink.notify(m.n, m.i.error ? { ...m.i, error: toError(m.i.error) } : m.i);
  };

  navigator.locks
    .request(name, { signal: quit.signal }, () => {
      leader = createConnection(o, relay);
      post({ k: 'ld' });
      retopic();
      for (const [r, settle] of pending) {
        pending.delete(r);
        leaderPublish(settle[2]).then(settle[0], settle[1]);
      }
      // Held until this tab closes the client or goes away.
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    })
    .catch(() => {});

  const hello = (): void => post({ k: 'hi', f: me, t: mine });
  const bye = (): void => post({ k: 'bye', f: me });
  hello();
  // Absent outside windows (a worker, Node with the option forced on).
  globalThis.addEventListener?.('pagehide', bye);
  globalThis.addEventListener?.('pageshow', hello);

  return {
    setTopics(topics) {
      mine = topics;
      post({ k: 'tp', f: me, t: topics });
      retopic();
    },
    publish(message) {
      if (leader) return leaderPublish(message);
      return new Promise((resolve, reject) => {
        const r = `${++refs}`;
        pending.set(r, [resolve, reject, message]);
        post({ k: 'pub', f: me, r, m: message });
      });
    },
    wake() {
      if (leader) leader.wake();
      else post({ k: 'wk' });
    },
    close() {
      closing = true;
      bye();
      globalThis.removeEventListener?.('pagehide', bye);
      globalThis.removeEventListener?.('pageshow', hello);
      quit.abort();
      leader?.close();
      release?.();
      channel.close();
      for (const [, settle] of pending) settle[1](new ClientError('closed', 'client closed'));
    },
  };
}
