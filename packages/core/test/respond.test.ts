import { describe, expect, it } from 'vitest';
import { respond } from '../src/adapter.ts';
import type { HubRequest } from '../src/index.ts';
import { BASE, fakeStream, makeHub, until } from './support/harness.ts';

/** A HubRequest that is not a Fetch Request: what a bridge like Node's passes. */
function plainRequest(path: string, headers: Record<string, string> = {}, method = 'GET'): HubRequest {
  return {
    method,
    url: `${BASE}/${path}`,
    headers: { get: (name) => headers[name.toLowerCase()] ?? null },
    signal: new AbortController().signal,
    body: null,
  };
}

describe('hub.respond (answers as plain data)', () => {
  it('answers a poll with status, JSON headers and the body text, without a Response', async () => {
    const hub = makeHub({ anonymous: true });
    const id = await hub.publish('a', { n: 1 });
    const answer = await respond(hub, plainRequest('poll?topics=a'), { stream: fakeStream().port });
    expect(answer).not.toBeInstanceOf(Response);
    expect(answer?.status).toBe(200);
    expect(answer?.headers['content-type']).toMatch(/^application\/json/);
    expect(answer?.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(answer!.body)).toEqual({ events: [], cursor: id });
  });

  it('turns bad input into the protocol error answer, with Retry-After or Allow where due', async () => {
    const hub = makeHub({ anonymous: true });
    const port = fakeStream().port;
    const missing = await respond(hub, plainRequest('nope'), { stream: port });
    expect(missing?.status).toBe(404);
    expect(JSON.parse(missing!.body).error.code).toBe('not_found');
    const wrongMethod = await respond(hub, plainRequest('poll?topics=a', {}, 'DELETE'), { stream: port });
    expect(wrongMethod?.status).toBe(405);
    expect(wrongMethod?.headers.allow).toBe('GET');
    const badUrl = await respond(
      hub,
      { ...plainRequest('poll'), url: 'http://a b/realtime/poll' },
      { stream: port },
    );
    expect(badUrl?.status).toBe(400);
    expect(JSON.parse(badUrl!.body).error.code).toBe('bad_request');
  });

  it('writes SSE through the stream port and resolves to undefined', async () => {
    const hub = makeHub({ anonymous: true });
    const stream = fakeStream();
    const answer = await respond(hub, plainRequest('sse?topics=a'), { stream: stream.port });
    expect(answer).toBeUndefined();
    expect(stream.status).toBe(200);
    expect(stream.headers?.get('content-type')).toMatch(/^text\/event-stream/);
    await hub.publish('a', 'hello');
    expect(stream.chunks.join('')).toContain('"data":"hello"');
    await hub.close();
  });

  it('reads headers through the view: a bearer token it finds is verified', async () => {
    const hub = makeHub({ authenticate: (_request, token) => (token === 'secret' ? { id: 'u' } : null) });
    const port = fakeStream().port;
    const refused = await respond(hub, plainRequest('poll?topics=a', { authorization: 'Bearer nope' }), {
      stream: port,
    });
    expect(refused?.status).toBe(401);
    const allowed = await respond(hub, plainRequest('poll?topics=a', { authorization: 'Bearer secret' }), {
      stream: port,
    });
    expect(allowed?.status).toBe(200);
  });

  it('handle accepts the same plain request and still answers with a Response', async () => {
    const hub = makeHub({ anonymous: true });
    const response = await hub.handle(plainRequest('poll?topics=a'));
    expect(response).toBeInstanceOf(Response);
    expect(response?.status).toBe(200);
    expect(await response?.json()).toHaveProperty('events', []);
  });

  it("learns that a held request's client left from the stream port's watch, not the signal", async () => {
    const hub = makeHub({ anonymous: true });
    const listeners: (() => void)[] = [];
    const stream = fakeStream();
    const port = { ...stream.port, watch: (listener: () => void) => listeners.push(listener) > 0 };
    // A signal that never aborts: only the port can report the client gone.
    const waiting = respond(hub, plainRequest('long-poll?topics=a'), { stream: port });
    await until(() => hub.stats().connections.longPoll === 1, 'the long poll to wait');
    const sse = await respond(hub, plainRequest('sse?topics=a'), { stream: port });
    expect(sse).toBeUndefined();
    expect(hub.stats().connections.total).toBe(2);
    expect(listeners).toHaveLength(2);
    for (const listener of listeners) listener();
    await waiting;
    expect(hub.stats().connections.total).toBe(0);
  });

  it('a port that reports the client gone already frees the slot at once', async () => {
    const hub = makeHub({ anonymous: true });
    const port = { ...fakeStream().port, watch: () => false };
    await respond(hub, plainRequest('long-poll?topics=a'), { stream: port });
    await respond(hub, plainRequest('sse?topics=a'), { stream: port });
    expect(hub.stats().connections.total).toBe(0);
  });
});
