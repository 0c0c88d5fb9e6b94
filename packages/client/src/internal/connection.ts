import type { Envelope } from '@tidings/core/protocol';
import { ClientError } from '../client-error.ts';
import type { Resolved, TransportName } from '../options.ts';
import { createBackoff } from './backoff.ts';
import { decide, type Failure } from './decide.ts';
import { failureOf, send } from './http.ts';
import type { Channel, Link, Opener, PublishMessage } from './link.ts';
import { openLongPoll, openPoll } from './transports/poll.ts';
import { openSse } from './transports/sse.ts';
import { openWs } from './transports/ws.ts';

const OPENERS: Record<TransportName, Opener> = {
  ws: openWs,
  sse: openSse,
  'long-poll': openLongPoll,
  poll: openPoll,
};

// A connection that stayed open this long was a real recovery, so the backoff starts over; one the
// server drops at once (a limit, a bad deploy) keeps backing off.
const STABLE_MS = 5000;

/** A status change or notice (see ClientEvents). */
export type Notice = 'connecting' | 'open' | 'reconnecting' | 'fallback' | 'closed';

/** The details of a notice; which fields are set depends on the notice (see ClientEvents). */
export interface NoticeInfo {
  transport?: TransportName;
  error?: ClientError;
  attempt?: number;
  delayMs?: number;
  from?: TransportName;
  to?: TransportName;
  reason?: string;
}

/** Where a connection reports: the client, or in a leader tab the relay to the other tabs. */
export interface Sink {
  getCursor(): string | undefined;
  setCursor(cursor: string): void;
  event(envelope: Envelope): void;
  reset(cursor: string): void;
  error(error: ClientError): void;
  notify(name: Notice, info: NoticeInfo): void;
}

/** What the client drives: one upstream connection, direct or shared through a leader tab. */
export interface Upstream {
  setTopics(topics: string[]): void;
  publish(message: PublishMessage): Promise<string>;
  /** Reconnect now: the network came back or the tab woke up. */
  wake(): void;
  /** Ends everything, silently. */
  close(): void;
}

/**
 * One logical connection: walks the transport list, falls back, reconnects with backoff, refreshes
 * the token, and probes the better transports while on a worse one. Every attempt starts from the
 * sink's cursor, so no reconnect and no switch loses an event.
 */
export function createConnection(o: Resolved, sink: Sink): Upstream {
  const names = o.transports;
  const backoff = createBackoff(o.reconnectDelayMs, o.maxReconnectDelayMs, o.random);
  let topics: string[] = [];
  let index = 0;
  let current: Channel | undefined;
  let probe: Channel | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  let probeMs = o.probeIntervalMs;
  let token = o.token;
  let refreshing = false;
  // A token was fetched after the last 401 and nothing opened since: another 401 is terminal.
  let refreshed = false;
  let started = false;
  let closed = false;

  function attempt(i: number): Channel {
    const name = names[i]!;
    let live = true;
    let openedAt = 0;
    const guard =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        if (live) fn(...args);
      };
    const link: Link = {
      options: o,
      topics,
      token,
      getCursor: sink.getCursor,
      setCursor: guard(sink.setCursor),
      event: guard(sink.event),
      reset: guard(sink.reset),
      error: guard(sink.error),
      opened: guard(() => {
        if (openedAt) return;
        openedAt = Date.now();
        if (channel !== current) {
          // A probe delivered: it becomes the connection.
          current?.close();
          current = channel;
          probe = undefined;
          index = i;
          probeMs = o.probeIntervalMs;
        }
        refreshed = false;
        sink.notify('open', { transport: name });
        if (i > 0 && probeMs) schedule(0);
      }),
      failed: guard((failure) => {
        live = false;
        if (channel === current) {
          current = undefined;
          if (openedAt && Date.now() - openedAt >= STABLE_MS) backoff.reset();
          lost(failure, i);
        } else if (channel === probe) {
          probe = undefined;
          if (i + 1 < index) probe = attempt(i + 1);
          else schedule(Math.min(probeMs * 2, 16 * o.probeIntervalMs));
        }
      }),
    };
    let channel: Channel;
    try {
      channel = OPENERS[name](link);
    } catch (error) {
      channel = { close() {} };
      queueMicrotask(() => link.failed({ message: `${error}` }));
    }
    const close = channel.close;
    channel.close = () => {
      live = false;
      close();
    };
    return channel;
  }

  function schedule(nextMs: number): void {
    if (nextMs) probeMs = nextMs;
    clearTimeout(probeTimer);
    probeTimer = setTimeout(() => {
      if (!closed && current && !probe && index > 0) probe = attempt(0);
    }, probeMs);
  }

  function connect(): void {
    clearTimeout(timer);
    timer = undefined;
    if (closed || current || refreshing || !topics.length) return;
    if (!started) {
      started = true;
      sink.notify('connecting', { transport: names[index]! });
    }
    if (token === undefined && o.getToken) refresh();
    else current = attempt(index);
  }

  function refresh(): void {
    refreshing = true;
    Promise.resolve()
      .then(o.getToken)
      .then(
        (fresh) => {
          token = fresh;
          refreshing = false;
          connect();
        },
        (error) => {
          // Ask again at the next attempt: a token service that failed once may answer later.
          token = undefined;
          refreshing = false;
          retry(0, new ClientError('unauthorized', `getToken failed: ${error}`));
        },
      );
  }

  function retry(waitMs: number, error: ClientError): void {
    const delayMs = waitMs + backoff.next();
    sink.notify('reconnecting', { attempt: backoff.attempt, delayMs, error });
    timer = setTimeout(connect, delayMs);
  }

  function lost(failure: Failure, i: number): void {
    const error = new ClientError(
      failure.code ?? (failure.network ? 'network' : 'disconnected'),
      failure.message,
      failure.status,
    );
    const decision = decide(failure, names[i]!, !!o.getToken && !refreshed, i + 1 < names.length);
    if (decision.action === 'stop') {
      halt();
      sink.notify('closed', { error });
    } else if (decision.action === 'fallback') {
      index = i + 1;
      sink.notify('fallback', { from: names[i], to: names[index], reason: failure.message });
      connect();
    } else if (decision.action === 'refresh') {
      refreshed = true;
      sink.notify('reconnecting', { attempt: 0, delayMs: 0, error });
      refresh();
    } else retry(decision.waitMs, error);
  }

  function halt(): void {
    closed = true;
    clearTimeout(timer);
    clearTimeout(probeTimer);
    current?.close();
    probe?.close();
    current = probe = undefined;
  }

  return {
    setTopics(next) {
      const added = next.filter((t) => !topics.includes(t));
      const removed = topics.filter((t) => !next.includes(t));
      topics = next;
      if (closed || !(added.length || removed.length)) return;
      if (probe) {
        // The probe asked for the old topics; the next round asks for the new ones.
        probe.close();
        probe = undefined;
        schedule(0);
      }
      if (next.length && current?.retopic?.(added, removed)) return;
      current?.close();
      current = undefined;
      if (!timer) connect();
    },

    async publish(message) {
      if (closed) throw new ClientError('closed', 'client closed');
      const overSocket = current?.publish?.(message);
      if (overSocket) return overSocket;
      for (let retried = !o.getToken; ; retried = true) {
        if (token === undefined && o.getToken) token = await o.getToken();
        let response: Response;
        try {
          response = await send(
            o,
            token,
            'publish',
            {},
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(message),
            },
          );
        } catch {
          throw new ClientError('network', 'publish failed: server unreachable');
        }
        if (response.ok) return (await response.json()).id;
        const failure = await failureOf(response);
        if (failure.status !== 401 || retried) {
          throw new ClientError(failure.code ?? 'bad_response', failure.message, failure.status);
        }
        token = undefined;
      }
    },

    wake() {
      if (closed) return;
      backoff.reset();
      current?.close();
      current = undefined;
      connect();
    },

    close: halt,
  };
}
