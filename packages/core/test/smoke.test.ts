import { describe, expect, it } from 'vitest';
import { createHub } from '../src/index.ts';

describe('hub smoke', () => {
  it('publishes and short-polls', async () => {
    const hub = createHub({ anonymous: true });
    const first = await hub.handle(new Request('http://x/rt/poll?topics=a'));
    const { cursor } = (await first!.json()) as { cursor: string };
    const id = await hub.publish('a', { n: 1 });
    const res = await hub.handle(new Request(`http://x/rt/poll?topics=a&cursor=${cursor}`));
    expect(await res!.json()).toEqual({
      events: [{ id, topic: 'a', event: 'message', data: { n: 1 } }],
      cursor: id,
    });
    await hub.close();
  });
});
