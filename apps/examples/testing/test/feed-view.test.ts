// Recipe (a) of docs/testing.md: a component that must show "reconnecting…" and then the missed events.
import { createClient } from '@tidings/client';
import { serve } from '@tidings/node';
import { createFaultProxy, createRecorder, createTestHub } from '@tidings/testing';
import { afterEach, expect, it } from 'vitest';
import { createFeedView, type FeedView } from '../src/feed-view.ts';
import type { Topics } from '../src/scores.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

/** Resolves once `check` holds, looked at after every change of the view: no polling, no sleeping. */
function until(view: FeedView, check: (view: FeedView) => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`the view never got there; it shows:\n${view.text()}`));
    }, timeoutMs);
    const test = () => {
      if (!check(view)) return;
      clearTimeout(timer);
      stop();
      resolve();
    };
    const stop = view.onChange(test);
    test();
  });
}

it('shows "reconnecting…" while the network is down, then the scores it missed, in order', async () => {
  // A real server with a test hub, and a fault proxy between it and a real client.
  const hub = createTestHub<Topics>();
  const server = await serve(hub);
  open.push(server);
  const proxy = await createFaultProxy({ target: server.url });
  open.push(proxy);
  const client = createClient<Topics>({
    url: proxy.url,
    transports: ['sse'],
    reconnectDelayMs: 50,
    maxReconnectDelayMs: 200,
    sharedConnection: false,
  });
  open.push(client);
  const recorder = createRecorder();
  recorder.attach(client);
  const view = createFeedView(client);

  await until(view, (v) => v.status === 'live');
  await hub.waitForSubscribers('scores', 1);
  await hub.publish('scores', { team: 'Red', points: 1 });
  await until(view, (v) => v.lines.length === 1);

  // The network fails: the open stream is reset, and every new attempt gets a 503 from the proxy.
  const restore = proxy.status('sse', 503);
  proxy.cut();
  await until(view, (v) => v.status === 'reconnecting…');
  await hub.publish('scores', { team: 'Blue', points: 2 });
  await hub.publish('scores', { team: 'Red', points: 3 });
  expect(view.text()).toBe('reconnecting…\nRed 1');

  // The network is back: the client resumes from its cursor and the missed scores arrive.
  restore();
  await until(view, (v) => v.status === 'live' && v.lines.length === 3);
  expect(view.text()).toBe('live\nRed 1\nBlue 2\nRed 3');
  recorder.assertComplete(hub.ids('scores'), { allowResets: false });
});

it('clears what it shows when the server says it could not replay everything (a reset)', async () => {
  const hub = createTestHub<Topics>();
  const server = await serve(hub);
  open.push(server);
  const client = createClient<Topics>({
    url: server.url,
    transports: ['ws'],
    reconnectDelayMs: 50,
    sharedConnection: false,
  });
  open.push(client);
  const view = createFeedView(client);
  await hub.waitForSubscribers('scores', 1);
  await hub.publish('scores', { team: 'Red', points: 1 });
  await until(view, (v) => v.lines.length === 1);

  // A restart of an in-memory hub loses its log: the client resumes into a new epoch and is told so.
  await hub.restart();
  await until(view, (v) => v.status === 'live' && v.lines.length === 0);
  await hub.waitForSubscribers('scores', 1);
  await hub.publish('scores', { team: 'Blue', points: 1 });
  await until(view, (v) => v.lines.length === 1);
  expect(view.text()).toBe('live\nBlue 1');
});
