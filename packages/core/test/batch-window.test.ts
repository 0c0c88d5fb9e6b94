import { describe, expect, it } from 'vitest';
import { createHub } from '../src/index.ts';
import { flush, makeHub, openWs } from './support/harness.ts';
import { createStepClock } from './support/step-clock.ts';

const START = Date.UTC(2001, 0, 1);

// Delivered events as `topic data` strings, in the order the socket got them.
const eventsOf = (socket: Awaited<ReturnType<typeof openWs>>) =>
  socket
    .messages()
    .filter((m) => m.type === 'event')
    .map((m) => `${m.topic} ${JSON.stringify(m.data)}`);

describe('batchWindowMs', () => {
  it('holds events published in separate turns and delivers them together, in order, when the window ends', async () => {
    const clock = createStepClock(START);
    const hub = makeHub({ anonymous: true, clock, batchWindowMs: 5 });
    const socket = await openWs(hub, '?topics=a,b');
    for (const [topic, n] of [
      ['a', 1],
      ['b', 2],
      ['a', 3],
    ] as const) {
      await hub.publish(topic, n);
      await new Promise((resolve) => setTimeout(resolve, 1)); // its own turn, as from Redis
    }
    await flush();
    expect(eventsOf(socket)).toEqual([]);
    clock.advance(5);
    expect(eventsOf(socket)).toEqual(['a 1', 'b 2', 'a 3']);
    // The next batch's window starts at its first event.
    await hub.publish('a', 4);
    clock.advance(4);
    expect(eventsOf(socket)).toHaveLength(3);
    clock.advance(1);
    expect(eventsOf(socket)).toEqual(['a 1', 'b 2', 'a 3', 'a 4']);
  });

  it('delivers what a batch holds before the connections are closed', async () => {
    const clock = createStepClock(START);
    const hub = makeHub({ anonymous: true, clock, batchWindowMs: 50 });
    const socket = await openWs(hub, '?topics=a');
    await hub.publish('a', 1);
    const closing = hub.close();
    expect(eventsOf(socket)).toEqual(['a 1']);
    expect(socket.closed).toMatchObject({ code: 1001 });
    await closing;
  });

  it('is off by default: an event goes out in the turn it arrived', async () => {
    const hub = makeHub({ anonymous: true });
    expect(hub.options.batchWindowMs).toBe(0);
    const socket = await openWs(hub, '?topics=a');
    await hub.publish('a', 1);
    expect(eventsOf(socket)).toEqual(['a 1']);
  });

  it('is refused above 1000 ms or below 0', () => {
    expect(() => createHub({ anonymous: true, batchWindowMs: 1001 })).toThrow(
      /batchWindowMs must be at most 1000/,
    );
    expect(() => createHub({ anonymous: true, batchWindowMs: -1 })).toThrow(
      /batchWindowMs must be a non-negative/,
    );
  });
});
