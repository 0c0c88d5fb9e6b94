import { describe, expect } from 'vitest';
import { eventually } from '../clients/inbox.ts';
import { openSse, type SseStream } from '../clients/sse-client.ts';
import { openWs, type WsClient } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { errorCode, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

/** Topics the operator server has presence on (see SUITE_CONFIGS.operator): `presence.*`. */
const PRESENCE_PREFIX = 'presence';
export const OPERATOR_PRESENCE_PATTERN = `${PRESENCE_PREFIX}.*`;

let users = 0;
/** A user id of its own for each connection set, so commands reach nobody else. */
function uniqueUser(name: string): string {
  users++;
  return `${name}-${users}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The operator's commands (`hub.disconnect`, `hub.unsubscribe`, `hub.presence`) as clients of every
 * transport see them, on every adapter and runtime: the command runs on the hub through
 * `ConformanceServer.operator`, the clients are real.
 */
export function operatorCases(h: () => Harness): void {
  describe('operator commands', () => {
    const cleanup = useCleanup();

    const ws = async (topics: string, user: string): Promise<WsClient> => {
      const socket = await openWs(h().route('ws', { topics }), {
        headers: await h().auth('subscriber', { sub: user }),
      });
      cleanup(socket.close);
      await socket.waitFor('welcome');
      return socket;
    };
    const sse = async (topics: string, user: string): Promise<SseStream> => {
      const stream = await openSse(h().route('sse', { topics }), await h().auth('subscriber', { sub: user }));
      cleanup(stream.close);
      expect(stream.response.status).toBe(200);
      await stream.inbox.until((items) => items.some((x) => x.kind === 'retry'), 'the stream to open');
      return stream;
    };
    /**
     * A long poll of `user` that is waiting on the server when this resolves (wrapped: an async
     * function returning the pending answer itself would wait for it).
     */
    const waitingPoll = async (topics: string, user: string): Promise<{ answer: Promise<Response> }> => {
      const before = (await h().server.stats()).connections.longPoll;
      const cursor = await headCursor(h(), topics.split(',')[0]!);
      const answer = fetch(h().route('long-poll', { topics, cursor, timeout: '30' }), {
        headers: await h().auth('subscriber', { sub: user }),
      });
      await eventually(
        async () => ((await h().server.stats()).connections.longPoll > before ? true : undefined),
        'the long poll to wait on the server',
      );
      return { answer };
    };

    spec(
      "disconnect ends one user's WebSocket (1008), SSE stream (close) and long poll (403) as kicked; others stay",
      async () => {
        const topic = uniqueTopic();
        const user = uniqueUser('kicked');
        const socket = await ws(topic, user);
        const stream = await sse(topic, user);
        const poll = (await waitingPoll(topic, user)).answer;
        const bystander = await sse(topic, uniqueUser('bystander'));

        await h().server.operator({ op: 'disconnect', userId: user, reason: 'kicked' });

        expect(await socket.waitForClose()).toEqual({ code: 1008, reason: 'kicked' });
        const close = await stream.waitForEvent('close');
        expect(JSON.parse(close.data)).toMatchObject({ code: 'kicked' });
        await stream.inbox.closed('the kicked SSE stream');
        const answer = await poll;
        expect(answer.status).toBe(403);
        expect(await errorCode(answer)).toBe('kicked');
        // Someone else on the same topic is untouched.
        const id = await h().publish(topic, 'after the kick');
        expect((await bystander.waitForEnvelopes(1)).map((e) => e.id)).toEqual([id]);
        expect(bystander.events().some((m) => m.event === 'close')).toBe(false);
      },
    );

    spec(
      'unsubscribe takes topics from one user: WebSocket and SSE are told, a waiting long poll is answered, other topics flow',
      async () => {
        const dropped = uniqueTopic();
        const kept = uniqueTopic();
        const topics = `${dropped},${kept}`;
        const user = uniqueUser('unsubscribed');
        const socket = await ws(topics, user);
        const stream = await sse(topics, user);
        const poll = (await waitingPoll(topics, user)).answer;

        await h().server.operator({ op: 'unsubscribe', userId: user, topics: [dropped] });

        const [told] = await socket.waitFor('unsubscribed');
        expect(told).toEqual({ type: 'unsubscribed', topics: [dropped] });
        const notice = await stream.waitForEvent('unsubscribed');
        expect(JSON.parse(notice.data)).toEqual({ topics: [dropped] });
        const answer = await poll;
        expect(answer.status).toBe(200);
        expect(((await answer.json()) as { events: unknown[] }).events).toEqual([]);
        // Events of the dropped topic reach neither connection; the kept topic's do, in order.
        await h().publish(dropped, 'not for them');
        const id = await h().publish(kept, 'still for them');
        const events = await socket.waitFor('event');
        expect(events.map((m) => m.id)).toEqual([id]);
        expect((await stream.waitForEnvelopes(1)).map((e) => e.id)).toEqual([id]);
      },
    );

    spec(
      'presence: a user on two connections is listed once; a subscriber gets one join, then one leave',
      async () => {
        const topic = uniqueTopic(PRESENCE_PREFIX);
        const watcher = uniqueUser('watcher');
        const ann = uniqueUser('ann');
        const watching = await sse(topic, watcher);
        const socket = await ws(topic, ann);
        const stream = await sse(topic, ann);
        const presenceOf = (action: string, user: string) =>
          watching
            .envelopes()
            .filter((e) => e.event === `tidings:${action}` && (e.data as { user?: string }).user === user);

        await watching.inbox.until(() => presenceOf('join', ann).length > 0, 'the join of ann');
        // A broker's cluster view may take a round trip to count the last connection.
        const during = await eventually(async () => {
          const snapshot = await h().server.operator({ op: 'presence', topic });
          return 'users' in snapshot && snapshot.connections === 3 ? snapshot : undefined;
        }, 'all three connections to be counted');
        expect(during).toEqual({ users: [ann, watcher].sort(), connections: 3 });

        socket.close();
        stream.close();
        await watching.inbox.until(() => presenceOf('leave', ann).length > 0, 'the leave of ann');
        expect(presenceOf('join', ann)).toHaveLength(1);
        expect(presenceOf('leave', ann)).toHaveLength(1);
        const after = await eventually(async () => {
          const snapshot = await h().server.operator({ op: 'presence', topic });
          return 'users' in snapshot && snapshot.users.length === 1 ? snapshot : undefined;
        }, 'ann to be gone from the snapshot');
        expect(after).toEqual({ users: [watcher], connections: 1 });
      },
    );
  });
}
