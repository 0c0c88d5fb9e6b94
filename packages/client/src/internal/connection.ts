import type { Envelope } from '@tidings/core/protocol';
import type { ResetInfo } from '../client.ts';
import { ClientError } from '../client-error.ts';
import type { Resolved, TransportName } from '../options.ts';
import { createBackoff } from './backoff.ts';
import { decide, type Failure, TRY_AGAIN_LATER } from './decide.ts';
import { diagnose, failureOf, NETWORK, routeUrl, send } from './http.ts';
import type { Channel, Link, Opener, PublishMessage } from './link.ts';
import { tokenLifeMs } from './token-life.ts';
import { openLongPoll, openPoll } from './transports/poll.ts';
import { openSse } from './transports/sse.ts';
import { openWs } from './transports/ws.ts';

const OPENERS: Record<TransportName, Opener> = {
  ws: openWs,
  sse: openSse,
  'long-poll': openLongPoll,
  poll: openPoll,
};

/** The topics of `a` that are not in `b`. */
const minus = (a: string[], b: string[]): string[] => a.filter((t) => !b.includes(t));

/** The error a failure gives the app. */
const errorOf = (failure: Failure): ClientError =>
  new ClientError(
    // An HTTP answer without the protocol's code came from something in between.
    failure.code ?? (failure.status ? 'bad_response' : 'disconnected'),
    failure.message,
    failure.status,
  );

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
  cursor(): string | undefined;
  setCursor(cursor: string): void;
  event(envelope: Envelope): void;
  /**
   * Events were lost: on every topic (continue from `cursor`), or only on `topics` (nothing moves).
   * `info` is what the app hears.
   */
  reset(info: ResetInfo): void;
  /**
   * An error the app should hear about; with a `topic`, the server refused that topic (`forbidden`)
   * or took it away (`unsubscribed`), and the connection goes on without it.
   */
  error(error: ClientError): void;
  notify(name: Notice, info: NoticeInfo): void;
}

/** What the client drives: one upstream connection, direct or shared through a leader tab. */
export interface Upstream {
  /** Sets the topics to receive (every tab's, on a shared connection). */
  topics(topics: string[]): void;
  /**
   * Publishes once: over the open WebSocket, else with `POST /publish`; resolves with the event id.
   * Rejects with `disconnected` (the socket closed before the ack) or `network` (no answer): the
   * server may have the event or not, and the client sends it again with the same key.
   */
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
 *
 * An open connection whose server told its heartbeat interval is watched by one timer: silent for
 * 2 × the interval + a grace (min(interval, 2 s) plus the time it took to open, a slow link's round
 * trips), it is dead (a black-holed network, a frozen server, a proxy that started buffering) and is
 * dropped and reconnected. A WebSocket is pinged after one silent interval, since the server's own
 * pings are protocol frames the WebSocket API never shows.
 *
 * A token from `getToken` that is a JWT is renewed at 80 % of its life (its `exp`, read without
 * verifying it) and handed to the open WebSocket in band; an opaque one is renewed when the server
 * refuses it (401, 4401), as every token is.
 *
 * `quiet`: a connection taking over from another tab's, whose app already saw `connecting`.
 */
export function createConnection(o: Resolved, sink: Sink, quiet?: boolean): Upstream {
  const names = o.transports;
  const backoff = createBackoff(o);
  // Topics the server refused, with why; asked for again once nobody wants them any more and then does.
  const refused = new Map<string, ClientError>();
  let topics: string[] = [];
  let index = 0;
  let current: Channel | undefined;
  let probe: Channel | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let renewTimer: ReturnType<typeof setTimeout> | undefined;
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  let probeMs = o.probeIntervalMs;
  let token = o.token;
  let refreshing: boolean | undefined;
  // A token was fetched after the last 401 and nothing opened since: another 401 is terminal.
  let refreshed: boolean | undefined;
  let started = !!quiet;
  let closed: boolean | undefined;
  // Failed attempts in a row on the current transport that never opened.
  let strikes = 0;

  function attempt(i: number): Channel {
    const name = names[i]!;
    const startedAt = Date.now();
    let live = true;
    let openedAt: number | undefined;
    let seen: number;
    // The attempt's one timer: the opening clocks of a stream, then the heartbeat watch.
    let idle: ReturnType<typeof setTimeout> | undefined;
    const arm = (ms: number, then: () => void): void => {
      clearTimeout(idle);
      idle = setTimeout(then, ms);
    };
    const guard =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        if (live) fn(...args);
      };
    const link: Link = {
      ...o,
      topics,
      token,
      cursor: sink.cursor,
      setCursor: guard(sink.setCursor),
      event: guard(sink.event),
      reset: guard(sink.reset),
      // Dropped like a refused topic: reported, and left out of the attempts to come.
      unsubscribed: guard((info) => refuse(info.topics, new ClientError('unsubscribed'))),
      error: guard((error, list) => {
        if (!list) sink.error(error);
        // The whole `subscribe` was refused: ask again for the topics that are still allowed.
        else if (refuse(list, error) && topics.length) current?.retopic?.(topics, []);
      }),
      beat() {
        seen = Date.now();
      },
      wait(began) {
        if (!began) arm(o.connectTimeoutMs, link.why);
        else
          arm(o.openTimeoutMs, () => {
            close();
            link.fail({ silent: true, message: 'a buffering proxy?' });
          });
      },
      why() {
        clearTimeout(idle);
        close();
        diagnose(link).then(link.fail);
      },
      open: guard((heartbeatMs, head, ping) => {
        if (openedAt) return;
        openedAt = seen = Date.now();
        // Without a cursor the stream starts at the head: resuming from it covers the very first gap.
        if (head && !sink.cursor()) sink.setCursor(head);
        clearTimeout(idle);
        if (heartbeatMs) {
          // Silence allowed beyond two heartbeat intervals: at most 2 s, as the server's heartbeat
          // timer runs late by up to its tick (1 s by default) and a ping's answer needs a round trip.
          const deadMs = 2 * heartbeatMs + Math.min(heartbeatMs, 2000) + openedAt - startedAt;
          // One timer per connection, rearmed from the time of the last sign of life.
          const watch = (): void => {
            const quietMs = Date.now() - seen;
            if (quietMs >= deadMs) {
              link.fail({
                code: 'heartbeat_timeout',
                message: `silent ${quietMs} ms`,
              });
              close();
              return;
            }
            if (quietMs >= heartbeatMs) ping?.();
            arm((quietMs < heartbeatMs ? heartbeatMs : deadMs) - quietMs, watch);
          };
          arm(heartbeatMs, watch);
        }
        strikes = 0;
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
      fail: guard((failure) => {
        live = false;
        clearTimeout(idle);
        if (channel === current) {
          current = undefined;
          // A connection that opened proves the server and the path work: the backoff starts over,
          // so a link that flaps every second comes back within `reconnectDelayMs` each time instead
          // of drifting to the cap and out of the server's retention. A server that keeps refusing
          // (attempts that never open) still backs off to the cap, and one that sends the client away
          // with "try again later" (close 1013: a limit) does not reset it.
          if (openedAt && failure.close !== TRY_AGAIN_LATER) backoff.attempt = 0;
          lost(failure, openedAt);
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
      queueMicrotask(() => link.fail({ message: `${error}` }));
    }
    const close = channel.close;
    channel.close = () => {
      live = false;
      clearTimeout(idle);
      close();
    };
    return channel;
  }

  /** Drops refused topics from the connection and reports them; 0 when none was ours (nothing changes). */
  function refuse(list: string[], error: ClientError): number {
    const ours = list.filter((t) => topics.includes(t));
    topics = minus(topics, ours);
    // One error per topic, which names it.
    for (const t of ours)
      sink.error(refused.set(t, new ClientError(error.code, error.message, error.status, t)).get(t)!);
    return ours.length;
  }

  function schedule(nextMs: number): void {
    if (nextMs) probeMs = nextMs;
    clearTimeout(probeTimer);
    probeTimer = setTimeout(() => {
      // halt() clears this timer: it never fires on a closed connection.
      if (current && !probe && index > 0) probe = attempt(0);
    }, probeMs);
  }

  function connect(): void {
    clearTimeout(timer);
    timer = undefined;
    if (closed || current || refreshing || !topics.length) return;
    if (!started) sink.notify('connecting', { transport: names[index]! });
    started = true;
    if (token === undefined && o.getToken) refresh();
    else current = attempt(index);
  }

  /**
   * Asks `getToken` for a token: before a connection, after a refusal, or (with a connection open)
   * to renew it, which an open WebSocket takes in band.
   */
  function refresh(): void {
    refreshing = true;
    Promise.resolve()
      .then(o.getToken)
      .then(
        (fresh) => {
          token = fresh;
          refreshing = false;
          current?.auth?.(fresh);
          renew();
          connect();
        },
        (error) => {
          // Ask again at the next attempt: a token service that failed once may answer later. A
          // renewal that failed is left to the server, which refuses the token when it expires.
          token = undefined;
          refreshing = false;
          if (!current) retry(0, new ClientError('unauthorized', `getToken: ${error}`));
        },
      );
  }

  /** Renews a JWT from `getToken` at 80 % of its life, while a WebSocket (which takes it in band) is open. */
  function renew(): void {
    clearTimeout(renewTimer);
    const lifeMs = o.getToken && tokenLifeMs(token);
    // A timer of 2^31 ms or more would fire at once.
    if (lifeMs! > 0 && !closed)
      renewTimer = setTimeout(() => current?.auth && refresh(), Math.min(lifeMs! * 0.8, 2e9));
  }

  function retry(waitMs: number, error: ClientError): void {
    const delayMs = waitMs + backoff.next();
    sink.notify('reconnecting', { attempt: backoff.attempt, delayMs, error });
    timer = setTimeout(connect, delayMs);
  }

  /**
   * The connection's attempt (on `names[index]`) ended; `opened`: it had delivered (WebSocket
   * welcome, SSE opening, first poll answer).
   */
  function lost(failure: Failure, opened: number | undefined): void {
    const error = errorOf(failure);
    // One refused topic refuses only itself: come back at once with the others.
    if (failure.code === 'forbidden' && refuse(failure.topics ?? [], error)) {
      connect();
      return;
    }
    if (!opened) strikes++;
    const decision = decide(failure, !!o.getToken && !refreshed, index + 1 < names.length, strikes);
    if (decision === 'stop') {
      halt();
      sink.notify('closed', { error });
    } else if (decision === 'fallback') {
      strikes = 0;
      sink.notify('fallback', { from: names[index], to: names[++index], reason: failure.message });
      connect();
    } else if (decision === 'refresh') {
      refreshed = true;
      sink.notify('reconnecting', { attempt: 0, delayMs: 0, error });
      refresh();
    } else retry(decision, error);
  }

  function halt(): void {
    closed = true;
    for (const t of [timer, renewTimer, probeTimer]) clearTimeout(t);
    current?.close();
    probe?.close();
    current = probe = undefined;
  }

  renew();

  return {
    topics(wanted) {
      const next: string[] = [];
      for (const [t] of refused) if (!wanted.includes(t)) refused.delete(t);
      // A tab that joins a shared connection learns of refusals made before it came.
      for (const t of wanted) refused.has(t) ? sink.error(refused.get(t)!) : next.push(t);
      const added = minus(next, topics);
      const removed = minus(topics, next);
      topics = next;
      // Closed: nothing runs to drop, and connect() does nothing.
      if (!(added.length || removed.length)) return;
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
      const overSocket = current?.publish?.(message);
      if (overSocket) return overSocket;
      const { key, ...body } = message;
      for (let retried = !o.getToken; ; retried = true) {
        let response: Response;
        try {
          token ??= await o.getToken?.();
          response = await send({ ...o, token }, routeUrl(o.url, 'publish', {}), {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': key },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(o.connectTimeoutMs),
          });
        } catch {
          throw errorOf(NETWORK);
        }
        if (response.ok) return (await response.json()).id;
        const failure = await failureOf(response);
        if (failure.status !== 401 || retried) throw errorOf(failure);
        token = undefined;
      }
    },

    // On a closed connection, connect() does nothing.
    wake() {
      backoff.attempt = 0;
      current?.close();
      current = undefined;
      connect();
    },

    close: halt,
  };
}
