import { beforeEach, describe, expect, it } from 'vitest';
import { respond } from '../src/adapter.ts';
import { signJwt } from '../src/index.ts';
import { fakeStream, makeHub, request, useFakeClock } from './support/harness.ts';
import { start } from './support/pending.ts';

beforeEach(useFakeClock);

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const head = (path: string, headers: Record<string, string> = {}) =>
  request(path, { method: 'HEAD', headers });

describe('HEAD', () => {
  it('on sse: the stream’s headers and an empty, ended body; no connection held', async () => {
    const hub = makeHub({ anonymous: true, maxConnections: 1 });
    for (let i = 0; i < 3; i++) {
      const response = await hub.handle(head('sse?topics=a'));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(await response.text()).toBe('');
    }
    expect(hub.stats().connections.total).toBe(0);
  });

  it('on sse through a stream port: opened with 200 and ended, nothing written', async () => {
    const hub = makeHub({ anonymous: true });
    const stream = fakeStream();
    expect(await respond(hub, head('sse?topics=a'), { stream: stream.port })).toBeUndefined();
    expect(stream.status).toBe(200);
    expect(stream.headers?.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.chunks).toEqual([]);
    expect(stream.ended).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('on long-poll: answers at once, without waiting for an event or taking a slot', async () => {
    const hub = makeHub({ anonymous: true });
    const cursor = await hub.publish('a', 1);
    const pending = start(hub, `long-poll?topics=a&cursor=${cursor}&timeout=25`, { method: 'HEAD' });
    const response = await pending.promise;
    expect(response!.status).toBe(200);
    expect(response!.headers.get('content-type')).toMatch(/^application\/json/);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('gets the refusals a GET gets: bad timeout, bad topics, no token', async () => {
    const hub = makeHub({ jwt: { secret: SECRET } });
    const token = await signJwt({ sub: 'ann' }, SECRET);
    const auth = { authorization: `Bearer ${token}` };
    expect((await hub.handle(head('long-poll?topics=a&timeout=abc', auth))).status).toBe(400);
    expect((await hub.handle(head('sse?topics=has%20space', auth))).status).toBe(400);
    expect((await hub.handle(head('sse?topics=a'))).status).toBe(401);
    expect((await hub.handle(head('poll?topics=a', auth))).status).toBe(200);
    expect(hub.stats().connections.total).toBe(0);
  });
});
