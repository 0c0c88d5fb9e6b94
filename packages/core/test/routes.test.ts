import { beforeEach, describe, expect, it } from 'vitest';
import { respond, toResponse } from '../src/adapter.ts';
import {
  advance,
  call,
  expectError,
  fakeStream,
  flush,
  headOf,
  makeHub,
  pollBody,
  request,
  useFakeClock,
} from './support/harness.ts';
import { start } from './support/pending.ts';
import { parseSse, readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

describe('short poll', () => {
  it('without a cursor answers at once with no events and the head as cursor', async () => {
    const hub = makeHub({ anonymous: true });
    const first = await hub.publish('a', 1);
    const second = await hub.publish('a', 2);
    const response = await call(hub, 'poll?topics=a');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await pollBody(response)).toEqual({ events: [], cursor: second });
    expect(first).not.toBe(second);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('with a cursor answers with the events after it on its topics, in order, and the last id', async () => {
    const hub = makeHub({ anonymous: true });
    const cursor = await headOf(hub);
    const a1 = await hub.publish('a', { n: 1 });
    await hub.publish('c', { n: 2 });
    const b1 = await hub.publish('b', 'two', { event: 'note' });
    const body = await pollBody(await call(hub, `poll?topics=a,b&cursor=${cursor}`));
    expect(body).toEqual({
      events: [
        { id: a1, topic: 'a', event: 'message', data: { n: 1 } },
        { id: b1, topic: 'b', event: 'note', data: 'two' },
      ],
      cursor: b1,
    });
  });

  it('keeps the client cursor when nothing is new, and is never counted as a connection', async () => {
    const hub = makeHub({ anonymous: true });
    const id = await hub.publish('a', 1);
    expect(await pollBody(await call(hub, `poll?topics=a&cursor=${id}`))).toEqual({ events: [], cursor: id });
    expect(hub.stats().connections).toEqual({ total: 0, ws: 0, sse: 0, longPoll: 0 });
  });

  it('accepts a trailing slash and any mount path: the route is the last segment', async () => {
    const hub = makeHub({ anonymous: true });
    const response = await hub.handle(new Request('http://h.test/some/deep/mount/poll/?topics=a'));
    expect(response!.status).toBe(200);
  });
});

describe('long poll', () => {
  it('holds the request as a connection and answers on the first event with everything pending in that turn', async () => {
    const hub = makeHub({ anonymous: true });
    const cursor = await headOf(hub);
    const waiting = start(hub, `long-poll?topics=a,b&cursor=${cursor}`);
    await flush();
    expect(waiting.settled).toBe(false);
    expect(hub.stats().connections).toEqual({ total: 1, ws: 0, sse: 0, longPoll: 1 });
    // Three publishes in one turn: the first wakes the poll, the answer carries all three.
    const ids = await Promise.all([hub.publish('a', 1), hub.publish('z', 'other'), hub.publish('b', 3)]);
    await advance(0);
    const body = await pollBody((await waiting.promise)!);
    expect(body.events.map((e) => e.id)).toEqual([ids[0], ids[2]]);
    expect(body.events.map((e) => e.data)).toEqual([1, 3]);
    expect(body.cursor).toBe(ids[2]);
    expect(hub.stats().connections.total).toBe(0);
    expect(hub.stats().delivered).toBe(2);
  });

  it('answers at once when events are already pending after its cursor', async () => {
    const hub = makeHub({ anonymous: true });
    const cursor = await headOf(hub);
    const id = await hub.publish('a', 'x');
    const waiting = start(hub, `long-poll?topics=a&cursor=${cursor}`);
    await advance(0);
    expect(waiting.settled).toBe(true);
    expect(await pollBody(waiting.response!)).toEqual({
      events: [{ id, topic: 'a', event: 'message', data: 'x' }],
      cursor: id,
    });
  });

  it('behind head, answers from the log without taking a slot, so a full hub still serves catch-up', async () => {
    const hub = makeHub({ anonymous: true, maxConnections: 1 });
    const cursor = await headOf(hub);
    const id = await hub.publish('a', 'x');
    await hub.publish('b', 'not mine');
    const holder = start(hub, 'sse?topics=a');
    await flush();
    expect(hub.stats().connections.total).toBe(1);
    const behind = await call(hub, `long-poll?topics=a&cursor=${cursor}`);
    expect(behind.status).toBe(200);
    expect(await pollBody(behind)).toEqual({
      events: [{ id, topic: 'a', event: 'message', data: 'x' }],
      cursor: id,
    });
    expect(hub.stats().delivered).toBe(1);
    // At head there is nothing to catch up on: the poll must wait, and the hub is full.
    const atHead = await call(hub, `long-poll?topics=a&cursor=${await headOf(hub)}`);
    expect(atHead.status).toBe(429);
    expect((await atHead.json()).error.code).toBe('too_many_connections');
    expect(holder.settled).toBe(true);
  });

  it('times out with {"events":[],"cursor":C} where C is the cursor it was given', async () => {
    const hub = makeHub({ anonymous: true, tickMs: 100 });
    const cursor = await headOf(hub);
    const waiting = start(hub, `long-poll?topics=a&cursor=${cursor}&timeout=5`);
    await advance(4_800);
    expect(waiting.settled).toBe(false);
    await advance(400);
    expect(waiting.settled).toBe(true);
    expect(await pollBody(waiting.response!)).toEqual({ events: [], cursor });
    expect(hub.stats().connections.total).toBe(0);
  });

  it('without a cursor starts from now and times out with the head cursor after the default 25 s', async () => {
    const hub = makeHub({ anonymous: true });
    await hub.publish('a', 'old');
    const head = await headOf(hub);
    const waiting = start(hub, 'long-poll?topics=a');
    await advance(24_000);
    expect(waiting.settled).toBe(false);
    await advance(2_000);
    expect(await pollBody(waiting.response!)).toEqual({ events: [], cursor: head });
  });

  it('caps a long timeout at longPollMaxTimeoutMs', async () => {
    const hub = makeHub({ anonymous: true, longPollMaxTimeoutMs: 10_000, longPollTimeoutMs: 5000 });
    const waiting = start(hub, 'long-poll?topics=a&timeout=3600');
    await advance(9_000);
    expect(waiting.settled).toBe(false);
    await advance(2_000);
    expect(waiting.settled).toBe(true);
  });

  it('timeout=0 answers at once', async () => {
    const hub = makeHub({ anonymous: true });
    const head = await headOf(hub);
    const response = await call(hub, 'long-poll?topics=a&timeout=0');
    expect(await pollBody(response)).toEqual({ events: [], cursor: head });
    expect(hub.stats().connections.total).toBe(0);
  });

  it('frees its slot at once when the client aborts, and delivers nothing to it afterwards', async () => {
    const hub = makeHub({ anonymous: true });
    const waiting = start(hub, 'long-poll?topics=a');
    await flush();
    expect(hub.stats().connections.longPoll).toBe(1);
    waiting.abort();
    expect(hub.stats().connections.total).toBe(0);
    expect(hub.stats().topics).toBe(0);
    await hub.publish('a', 1);
    await advance(0);
    expect(hub.stats().delivered).toBe(0);
  });

  it('a request aborted before it arrives takes no slot', async () => {
    const hub = makeHub({ anonymous: true });
    const controller = new AbortController();
    controller.abort();
    void hub.handle(request('long-poll?topics=a', { signal: controller.signal }));
    await flush();
    expect(hub.stats().connections.total).toBe(0);
  });
});

describe('SSE through a ReadableStream answer', () => {
  it('answers 200 with the protocol headers and opens with retry and a comment at once', async () => {
    const hub = makeHub({ anonymous: true, sseRetryMs: 3000 });
    const response = await call(hub, 'sse?topics=a');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const sse = readSse(response);
    await flush();
    expect(sse.text.startsWith('retry: 3000\n:')).toBe(true);
    expect(sse.retries).toEqual([3000]);
    expect(sse.comments.length).toBe(1);
    expect(sse.events).toEqual([]);
    expect(hub.stats().connections).toEqual({ total: 1, ws: 0, sse: 1, longPoll: 0 });
  });

  it('frames each event with id, event (left out for "message") and the envelope as data', async () => {
    const hub = makeHub({ anonymous: true });
    const sse = readSse(await call(hub, 'sse?topics=a,b'));
    await flush();
    const plain = await hub.publish('a', { text: 'hi\nthere' });
    const named = await hub.publish('b', [1, 2], { event: 'update' });
    await hub.publish('c', 'not subscribed');
    await flush();
    expect(sse.events).toEqual([
      {
        id: plain,
        event: 'message',
        data: JSON.stringify({ id: plain, topic: 'a', event: 'message', data: { text: 'hi\nthere' } }),
      },
      {
        id: named,
        event: 'update',
        data: JSON.stringify({ id: named, topic: 'b', event: 'update', data: [1, 2] }),
      },
    ]);
    expect(sse.text).toContain(`id: ${plain}\ndata: {`);
    expect(sse.text).toContain(`id: ${named}\nevent: update\ndata: {`);
    expect(hub.stats().delivered).toBe(2);
  });

  it('resumes from Last-Event-ID, which wins over the cursor query', async () => {
    const hub = makeHub({ anonymous: true });
    const first = await hub.publish('a', 1);
    const second = await hub.publish('a', 2);
    const sse = readSse(
      await call(hub, `sse?topics=a&cursor=garbage-cursor`, { headers: { 'last-event-id': first } }),
    );
    await flush();
    expect(sse.events.map((e) => e.id)).toEqual([second]);
    const viaQuery = readSse(await call(hub, `sse?topics=a&cursor=${first}`));
    await flush();
    expect(viaQuery.events.map((e) => e.id)).toEqual([second]);
  });

  it('frees the slot when the reader cancels or the request aborts', async () => {
    const hub = makeHub({ anonymous: true });
    const sse = readSse(await call(hub, 'sse?topics=a'));
    await flush();
    expect(hub.stats().connections.sse).toBe(1);
    await sse.cancel();
    expect(hub.stats().connections.total).toBe(0);

    const aborted = start(hub, 'sse?topics=a');
    await flush();
    expect(hub.stats().connections.sse).toBe(1);
    aborted.abort();
    expect(hub.stats().connections.total).toBe(0);
    expect(hub.stats().topics).toBe(0);
  });
});

describe('SSE through the adapter StreamPort', () => {
  it('writes headers, opening bytes and event frames to the port and resolves to undefined', async () => {
    const hub = makeHub({ anonymous: true });
    const stream = fakeStream();
    const controller = new AbortController();
    const result = await respond(hub, request('sse?topics=a', { signal: controller.signal }), {
      stream: stream.port,
    });
    expect(result).toBeUndefined();
    expect(stream.status).toBe(200);
    expect(stream.headers!.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers!.get('cache-control')).toBe('no-cache, no-transform');
    expect(stream.headers!.get('x-accel-buffering')).toBe('no');
    const id = await hub.publish('a', 'hello', { event: 'greet' });
    const log = parseSse(stream.chunks.join(''));
    expect(log.retries).toEqual([hub.options.sseRetryMs]);
    expect(log.events).toEqual([
      { id, event: 'greet', data: JSON.stringify({ id, topic: 'a', event: 'greet', data: 'hello' }) },
    ]);
    expect(hub.stats().connections.sse).toBe(1);
    controller.abort();
    expect(hub.stats().connections.total).toBe(0);
  });

  it('a stream opened without a cursor says its head as `id:` too: an EventSource that drops before its first event resumes from there', async () => {
    const hub = makeHub({ anonymous: true });
    const head = await headOf(hub);
    const fresh = fakeStream();
    await respond(hub, request('sse?topics=a'), { stream: fresh.port });
    expect(fresh.chunks[0]).toBe(
      `retry: ${hub.options.sseRetryMs}\n: open heartbeat=${hub.options.sseHeartbeatMs} cursor=${head}\nid: ${head}\n\n`,
    );
    // WHATWG: a block with an id and no data moves the last event id and dispatches nothing.
    const log = parseSse(fresh.chunks.join(''));
    expect(log.events).toEqual([]);
    const id = await hub.publish('a', 'after');
    const later = parseSse(fresh.chunks.join(''));
    expect(later.events.map((e) => e.id)).toEqual([id]);
    // Resuming (Last-Event-ID or cursor): the client's own position stands, no `id:` in the opening.
    const resumed = fakeStream();
    await respond(hub, request('sse?topics=a', { headers: { 'last-event-id': head } }), {
      stream: resumed.port,
    });
    expect(resumed.chunks[0]).not.toContain('\nid:');
  });

  it('refusals still come back as an answer, with nothing written to the port', async () => {
    const hub = makeHub({ anonymous: true });
    const stream = fakeStream();
    const answer = await respond(hub, request('sse?topics=bad%20topic'), { stream: stream.port });
    await expectError(hub, toResponse(answer!), 400, 'bad_request');
    expect(stream.status).toBeUndefined();
  });
});

describe('publish over HTTP', () => {
  const authorize = () => true;

  it('answers 202 {"id"} and the event reaches subscribers', async () => {
    const hub = makeHub({ anonymous: true, authorize });
    const cursor = await headOf(hub);
    const response = await call(hub, 'publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'a', event: 'note', data: { x: [1, 'two', null] } }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const body = await pollBody(await call(hub, `poll?topics=a&cursor=${cursor}`));
    expect(body.events).toEqual([{ id, topic: 'a', event: 'note', data: { x: [1, 'two', null] } }]);
    expect(hub.stats().published).toBe(1);
  });

  it('is refused with 403 by the default authorize (clients may not publish)', async () => {
    const hub = makeHub({ anonymous: true });
    const response = await call(hub, 'publish', {
      method: 'POST',
      body: JSON.stringify({ topic: 'a', data: 1 }),
    });
    await expectError(hub, response, 403, 'forbidden');
    expect(hub.stats().published).toBe(0);
  });

  it('asks authorize with the principal, the topic and "publish"', async () => {
    const seen: unknown[] = [];
    const hub = makeHub({
      authenticate: () => ({ id: 'ann' }),
      authorize: (principal, topic, action) => {
        seen.push([principal.id, topic, action]);
        return topic === 'open';
      },
    });
    const post = (topic: string) =>
      call(hub, 'publish', { method: 'POST', body: JSON.stringify({ topic, data: 1 }) });
    expect((await post('open')).status).toBe(202);
    expect((await post('closed')).status).toBe(403);
    expect(seen).toEqual([
      ['ann', 'open', 'publish'],
      ['ann', 'closed', 'publish'],
    ]);
  });
});

describe('other routes', () => {
  it('an unknown route is 404 not_found', async () => {
    const hub = makeHub({ anonymous: true });
    await expectError(hub, await hub.handle(request('nope?topics=a')), 404, 'not_found');
  });

  it('GET ws without an upgrade is 400 bad_request', async () => {
    const hub = makeHub({ anonymous: true });
    await expectError(hub, await hub.handle(request('ws?topics=a')), 400, 'bad_request');
  });

  it('stats count published, delivered, topics and connections by transport', async () => {
    const hub = makeHub({ anonymous: true });
    const sse = readSse(await call(hub, 'sse?topics=a,b'));
    const waiting = start(hub, 'long-poll?topics=b');
    await flush();
    expect(hub.stats()).toMatchObject({
      connections: { total: 2, ws: 0, sse: 1, longPoll: 1 },
      topics: 2,
      published: 0,
      delivered: 0,
    });
    await hub.publish('b', 1);
    await advance(0);
    expect(waiting.settled).toBe(true);
    expect(sse.events.length).toBe(1);
    expect(hub.stats()).toMatchObject({
      connections: { total: 1, ws: 0, sse: 1, longPoll: 0 },
      topics: 2,
      published: 1,
      delivered: 2,
      dropped: 0,
      resets: 0,
    });
  });

  it('limits each principal to maxHttpPublishesPerSecond, with Retry-After, apart from other callers', async () => {
    const hub = makeHub({
      authenticate: (request) => ({ id: request.headers.get('x-user') ?? 'nobody' }),
      authorize: () => true,
      maxHttpPublishesPerSecond: 2,
    });
    const post = (user: string) =>
      call(hub, 'publish', {
        method: 'POST',
        headers: { 'x-user': user },
        body: JSON.stringify({ topic: 'a', data: user }),
      });
    expect((await post('ann')).status).toBe(202);
    expect((await post('ann')).status).toBe(202);
    const third = await post('ann');
    expect(third.headers.get('retry-after')).toBe('1');
    await expectError(hub, third, 429, 'rate_limited');
    // Another principal has its own count; the refused publish stored nothing.
    expect((await post('bob')).status).toBe(202);
    expect(hub.stats().published).toBe(3);
    // The next second starts a new count.
    await advance(1000);
    expect((await post('ann')).status).toBe(202);
  });

  it('counts anonymous callers by client address', async () => {
    const hub = makeHub({ anonymous: true, authorize: () => true, maxHttpPublishesPerSecond: 1 });
    const post = (clientAddress: string) =>
      hub.handle(request('publish', { method: 'POST', body: JSON.stringify({ topic: 'a', data: 1 }) }), {
        clientAddress,
      });
    expect((await post('10.0.0.1'))!.status).toBe(202);
    expect((await post('10.0.0.1'))!.status).toBe(429);
    expect((await post('10.0.0.2'))!.status).toBe(202);
  });
});
