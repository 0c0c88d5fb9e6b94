import { createHub } from '@tidings/core';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Served, serve } from '../src/index.ts';

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe('serve', () => {
  it('delivers one publish over SSE and WebSocket', async () => {
    const hub = createHub({ anonymous: true });
    served = await serve(hub);
    const ws = new WebSocket(`${served.url.replace('http', 'ws')}/ws?topics=t`);
    const wsMessages: unknown[] = [];
    ws.on('message', (d) => wsMessages.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    const sse = await fetch(`${served.url}/sse?topics=t`);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const reader = sse.body!.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    const id = await hub.publish('t', { hello: 1 });
    let text = '';
    while (!text.includes('data:')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`id: ${id}`);
    while (wsMessages.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(wsMessages[1]).toEqual({ type: 'event', id, topic: 't', event: 'message', data: { hello: 1 } });
    ws.close();
    await reader.cancel();
  });
});
