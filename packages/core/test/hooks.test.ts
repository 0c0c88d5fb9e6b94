import { beforeEach, describe, expect, it } from 'vitest';
import { respond } from '../src/adapter.ts';
import type { ConnectionInfo, DisconnectReason, ErrorInfo, HubOptions, ResetInfo } from '../src/index.ts';
import {
  advance,
  call,
  fakeStream,
  flush,
  makeHub,
  openWs,
  request,
  useFakeClock,
} from './support/harness.ts';
import { start } from './support/pending.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

/** A hub whose hooks write what they see to `log`, one line per call. */
function hookedHub(options: Partial<HubOptions> = {}) {
  const log: string[] = [];
  const errors: [unknown, ErrorInfo][] = [];
  const who = (c: ConnectionInfo) => `${c.transport}:${c.principal.id ?? 'anon'}`;
  const hub = makeHub({
    authenticate: (req) => {
      const user = new URL(req.url).searchParams.get('user');
      const exp = new URL(req.url).searchParams.get('exp');
      return user ? { id: user, ...(exp ? { expiresAt: Number(exp) } : {}) } : {};
    },
    onConnect: (c) => log.push(`connect ${who(c)}`),
    onDisconnect: (c: ConnectionInfo, reason: DisconnectReason) => log.push(`disconnect ${who(c)} ${reason}`),
    onSubscribe: (c, topics) => log.push(`subscribe ${who(c)} ${topics.join(',')}`),
    onUnsubscribe: (c, topics) => log.push(`unsubscribe ${who(c)} ${topics.join(',')}`),
    onReset: (r: ResetInfo) =>
      log.push(
        `reset ${r.transport}${r.topics ? ` ${r.topics.join(',')}` : ''}${r.connection ? ' (connection)' : ''}`,
      ),
    onError: (error, info) => errors.push([error, info]),
    ...options,
  });
  return { hub, log, errors };
}

describe('hooks', () => {
  it('connect, subscribe, unsubscribe and disconnect fire once each, with the reason (client left)', async () => {
    const { hub, log } = hookedHub();
    const socket = await openWs(hub, '?topics=a,b&user=ann');
    socket.send({ type: 'subscribe', topics: ['c'] });
    socket.send({ type: 'unsubscribe', topics: ['a', 'zzz'] });
    await flush();
    socket.handlers!.closed();
    await flush();
    expect(log).toEqual([
      'connect ws:ann',
      'subscribe ws:ann a,b',
      'subscribe ws:ann c',
      'unsubscribe ws:ann a',
      'disconnect ws:ann client',
    ]);
  });

  it('reports every reason the server ends a connection for', async () => {
    const { hub, log } = hookedHub({ heartbeatMs: 1000, tickMs: 100, maxBufferedBytes: 10 });
    const silent = await openWs(hub, '?topics=a&user=hb');
    const slow = await openWs(hub, '?topics=a&user=slow');
    const kicked = readSse(await call(hub, 'sse?topics=k&user=kick'));
    const expiring = await openWs(hub, `?topics=e&user=exp&exp=${Date.now() + 500}`);
    const answered = start(hub, 'long-poll?topics=p&user=lp');
    await flush();
    slow.buffered = 100;
    await hub.publish('a', 'x');
    await hub.disconnect({ userId: 'kick' });
    await advance(2100);
    expect(silent.terminated).toBe(true);
    expect(expiring.closed?.reason).toBe('token_expired');
    await hub.publish('p', 'y');
    await answered.promise;
    await flush();
    const ends = log.filter((line) => line.startsWith('disconnect')).sort();
    expect(ends).toEqual([
      'disconnect long-poll:lp normal',
      'disconnect sse:kick kicked',
      'disconnect ws:exp token_expired',
      'disconnect ws:hb heartbeat_timeout',
      'disconnect ws:slow slow_consumer',
    ]);
    expect(kicked.done).toBe(true);
  });

  it('shutdown is a reason too, and every connect has exactly one disconnect', async () => {
    const { hub, log } = hookedHub();
    await openWs(hub, '?topics=a&user=a1');
    readSse(await call(hub, 'sse?topics=a&user=a2'));
    const poll = start(hub, 'long-poll?topics=a&user=a3');
    await flush();
    const closing = hub.close();
    await advance(10);
    await closing;
    await poll.promise;
    expect(log.filter((l) => l.startsWith('disconnect')).sort()).toEqual([
      'disconnect long-poll:a3 shutdown',
      'disconnect sse:a2 shutdown',
      'disconnect ws:a1 shutdown',
    ]);
    expect(log.filter((l) => l.startsWith('connect')).length).toBe(3);
  });

  it('onReset for a connection and for an answer at once', async () => {
    const { hub, log } = hookedHub();
    await openWs(hub, '?topics=a&user=r&cursor=otherepoch-5');
    await call(hub, 'poll?topics=a&cursor=otherepoch-5');
    expect(log.filter((l) => l.startsWith('reset'))).toEqual(['reset ws (connection)', 'reset poll']);
  });

  it('a throwing hook is reported (stage hook, named) and the connection goes on', async () => {
    const boom = () => {
      throw new Error('hook bug');
    };
    const { hub, errors } = hookedHub({ onConnect: boom, onSubscribe: boom, onDisconnect: boom });
    const socket = await openWs(hub, '?topics=a&user=ann');
    await hub.publish('a', 'still here');
    expect(socket.ofType('event').map((m) => m.data)).toEqual(['still here']);
    socket.handlers!.closed();
    await flush();
    expect(errors.map(([, info]) => info)).toEqual([
      { stage: 'hook', hook: 'onConnect' },
      { stage: 'hook', hook: 'onSubscribe' },
      { stage: 'hook', hook: 'onDisconnect' },
    ]);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('hooks see SSE streams through a stream port too', async () => {
    const { hub, log } = hookedHub();
    const stream = fakeStream();
    await respond(hub, request('sse?topics=s&user=ann'), { stream: stream.port });
    expect(log).toEqual(['connect sse:ann', 'subscribe sse:ann s']);
  });
});
