// Recipe (c) of docs/testing.md: a viewer that cannot keep up is cut without hurting the others.
import { createClient } from '@tidings/client';
import { createFaultProxy, createRecorder, createTestHub } from '@tidings/testing';
import { afterEach, expect, it } from 'vitest';
import { listen } from '../src/app.ts';
import { SCOREBOARD_HUB_OPTIONS } from '../src/hub-options.ts';
import type { Topics } from '../src/scores.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

// Big enough events to fill the loopback socket buffers (a few MB) and then maxBufferedBytes.
const COMMENT = 'x'.repeat(32_000);
const MAX_EVENTS = 400;

it('cuts a viewer whose network stalls, never slows the others, and lets it resume once it moves', async () => {
  const hub = createTestHub<Topics>(SCOREBOARD_HUB_OPTIONS);
  const app = await listen({ hub, port: 0 });
  open.push(app);
  // The stalled viewer goes through a proxy we can pause; the healthy one connects directly.
  const proxy = await createFaultProxy({ target: app.url });
  open.push(proxy);
  const viewer = (url: string) => {
    const client = createClient<Topics>({
      url,
      topics: ['scores'],
      transports: ['sse'],
      reconnectDelayMs: 50,
      sharedConnection: false,
    });
    open.push(client);
    const recorder = createRecorder();
    recorder.attach(client);
    return recorder;
  };
  const healthy = viewer(app.url);
  const stalled = viewer(proxy.url);
  await hub.waitForSubscribers('scores', 2);

  // Its network stops moving bytes, as a client that stopped reading: the server's buffers fill.
  proxy.pause();
  for (let i = 0; hub.stats().dropped === 0; i++) {
    if (i === MAX_EVENTS) throw new Error(`the stalled viewer was not cut after ${MAX_EVENTS} events`);
    await hub.publish('scores', { team: 'Red', points: i, comment: COMMENT });
    // Each score reaches the healthy viewer before the next is published: it never falls behind.
    await healthy.waitFor(i + 1);
  }
  expect(hub.stats().dropped).toBe(1);
  healthy.assertComplete(hub.ids('scores'), { allowResets: false });

  // The network moves again: the stalled viewer reads what was sent, is told it was cut, reconnects
  // and resumes from its cursor. Nothing lost, nothing twice.
  proxy.resume();
  await stalled.waitFor(hub.ids('scores').length, { timeoutMs: 20_000 });
  stalled.assertComplete(hub.ids('scores'), { allowResets: false });
  expect(hub.stats().dropped).toBe(1);
});
