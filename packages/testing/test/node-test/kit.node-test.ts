// The kit under node:test, imported as a user imports it. test/node-test.test.ts runs this file with
// `node --conditions=source --test` (Node strips the types; the `source` condition resolves the
// workspace's packages to their sources, so no build is needed) and checks what node:test reports.
// The first test is the recipe docs/testing.md shows, word for word.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serve } from '@tidings/node';
import { createFaultProxy, createRecorder, createTestHub, type RecordedEvent } from '@tidings/testing';

test('a poller gets the scores it missed while the gateway answered 503', async (t) => {
  const hub = createTestHub();
  const server = await serve(hub);
  const proxy = await createFaultProxy({ target: server.url });
  t.after(async () => {
    await proxy.close();
    await server.close();
  });
  const recorder = createRecorder();
  let cursor = '';
  /** One short poll through the proxy: records the events it brings, returns its status. */
  const poll = async () => {
    const answer = await fetch(`${proxy.url}/poll?topics=scores&cursor=${cursor}`);
    if (answer.ok) {
      const body = (await answer.json()) as { events: RecordedEvent[]; cursor: string };
      for (const event of body.events) recorder.event(event);
      cursor = body.cursor;
    } else await answer.body?.cancel();
    return answer.status;
  };

  assert.equal(await poll(), 200); // no cursor yet: the answer gives one
  await hub.publish('scores', { team: 'Red', points: 1 });
  assert.equal(await poll(), 200);

  // The gateway fails: the proxy answers the hub's poll route itself; the server never sees it.
  const restore = proxy.status('poll', 503);
  await hub.publish('scores', { team: 'Blue', points: 2 });
  await hub.publish('scores', { team: 'Red', points: 3 });
  assert.equal(await poll(), 503);
  assert.equal(proxy.stats().faults.answered, 1);

  // It is back: the next poll resumes from the cursor and brings what was missed, in order.
  restore();
  assert.equal(await poll(), 200);
  assert.deepEqual(
    recorder.events.map((event) => event.data),
    [
      { team: 'Red', points: 1 },
      { team: 'Blue', points: 2 },
      { team: 'Red', points: 3 },
    ],
  );
  recorder.assertComplete(hub.ids('scores'), { allowResets: false });
});

// The negative control (TIDINGS_NODE_TEST_CONTROL=1): an event published after the last poll never
// arrives, so the recorder's assertion throws and node:test must fail the run for it.
if (process.env.TIDINGS_NODE_TEST_CONTROL === '1') {
  test('control: the recorder fails the run when an event is missing', async (t) => {
    // No proxy here: what is under test is the recorder's assertion failing node:test's run.
    const hub = createTestHub();
    const server = await serve(hub);
    t.after(() => server.close());
    const recorder = createRecorder();
    const poll = async (cursor = '') =>
      (await (await fetch(`${server.url}/poll?topics=scores&cursor=${cursor}`)).json()) as {
        events: RecordedEvent[];
        cursor: string;
      };
    const first = await poll();
    await hub.publish('scores', { team: 'Red', points: 1 });
    for (const event of (await poll(first.cursor)).events) recorder.event(event);
    await hub.publish('scores', { team: 'Blue', points: 2 }); // never polled for
    recorder.assertComplete(hub.ids('scores'));
  });
}
