import { afterEach, describe, expect, it } from 'vitest';
import { get, openRaw } from './support/raw-client.ts';
import { closeAll, proxied, track } from './support/setup.ts';
import { openSse, sseIds } from './support/sse.ts';
import { until } from './support/until.ts';

afterEach(closeAll);

/** The body part of what a raw client received (after the response head). */
function body(received: string): string {
  const end = received.indexOf('\r\n\r\n');
  return end < 0 ? '' : received.slice(end + 4);
}

describe('buffer()', () => {
  it('holds SSE bytes until the threshold, releases them in order, then holds again', async () => {
    const { server, proxy } = await proxied();
    proxy.buffer({ bytes: 600 });
    const raw = track(await openRaw(proxy.port));
    raw.send(get('/realtime/sse?topics=a'));
    // The head passes at once; the opening comment is held.
    await until(() => raw.received.includes('\r\n\r\n'), 'the response head');
    expect(raw.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    await until(() => proxy.stats().faults.bufferedBytes > 0, 'the opening bytes to be held');
    expect(body(raw.received)).toBe('');

    const ids: string[] = [];
    while (proxy.stats().faults.bufferFlushes === 0) {
      expect(ids.length).toBeLessThan(20);
      const held = proxy.stats().faults.bufferedBytes;
      ids.push(await server.hub.publish('a', { n: ids.length, pad: 'x'.repeat(40) }));
      await until(() => proxy.stats().faults.bufferedBytes > held, 'the event to be held');
      if (proxy.stats().faults.bufferFlushes === 0) expect(body(raw.received)).toBe('');
    }
    // Crossing 600 bytes took a few events, and all of them come out together, in order.
    expect(ids.length).toBeGreaterThan(1);
    await until(() => sseIds(raw.received).length === ids.length, 'the released events');
    // (The stream is chunked on the wire: the opening block sits in the first chunk.)
    expect(body(raw.received)).toMatch(/^[0-9a-f]+\r\nretry: \d+\n: open[^\n]*\nid: [^\n]*\n\n\r\n/);
    expect(sseIds(raw.received)).toEqual(ids);
    expect(Buffer.byteLength(body(raw.received))).toBeGreaterThanOrEqual(600);

    // Holding starts over: the next event waits for the next 600 bytes.
    const held = proxy.stats().faults.bufferedBytes;
    const received = raw.received;
    const next = await server.hub.publish('a', 'one more');
    await until(() => proxy.stats().faults.bufferedBytes >= held + next.length, 'the next hold');
    expect(raw.received).toBe(received);
    expect(raw.received).not.toContain(next);
  });

  it('with bytes: Infinity, holds a stream until it ends while whole answers pass on a kept-alive connection', async () => {
    const { server, proxy } = await proxied();
    const lift = proxy.buffer({ bytes: Infinity });
    const raw = track(await openRaw(proxy.port));
    for (let i = 0; i < 2; i++) {
      raw.send(get('/realtime/poll?topics=a'));
      const answer = await raw.response();
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ events: [] });
    }
    expect(proxy.stats().faults.bufferFlushes).toBe(2);
    expect(proxy.stats().connections.opened).toBe(1);

    const sse = track(await openSse(`${proxy.url}/sse?topics=a`));
    expect(sse.response.status).toBe(200);
    expect(sse.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await server.hub.publish('a', { n: i, pad: 'y'.repeat(200) }));
    await until(() => proxy.stats().faults.bufferedBytes > 20 * 200, 'the events to be held');
    expect(sse.text).toBe('');

    // Lifting the fault releases what it held.
    lift();
    await until(() => sseIds(sse.text).length === 20, 'the released events');
    expect(sseIds(sse.text)).toEqual(ids);
    const after = await server.hub.publish('a', 'live');
    await sse.waitFor(`id: ${after}`);
  });

  it('rejects a threshold that is not a whole number of bytes', async () => {
    const { proxy } = await proxied();
    expect(() => proxy.buffer({ bytes: 0 })).toThrow(TypeError);
    expect(() => proxy.buffer({ bytes: 1.5 })).toThrow(TypeError);
  });
});
