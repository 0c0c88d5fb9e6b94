import { describe, expect, expectTypeOf, it } from 'vitest';
import { createHub, type Hub } from '../src/index.ts';

// An interface, as apps write them: the same type serves createHub and createClient.
interface Topics {
  notes: { text: string };
  counter: number;
}

describe('a typed topic map', () => {
  it('type-checks publish: known topics only, each with its own payload type', async () => {
    const hub: Hub<Topics> = createHub<Topics>({ anonymous: true });
    try {
      expect(await hub.publish('notes', { text: 'hi' })).toMatch(/-1$/);
      expect(await hub.publish('counter', 2, { event: 'inc' })).toMatch(/-2$/);
      expectTypeOf(hub.publish<'notes'>)
        .parameter(1)
        .toEqualTypeOf<{ text: string }>();
      expectTypeOf(hub.publish<'counter'>)
        .parameter(1)
        .toEqualTypeOf<number>();
      // These lines fail `pnpm typecheck` if the map stops constraining publish; at run time the
      // hub refuses nothing here, which is why they only run through a guard that is never true.
      if (hub.stats().published < 0) {
        // @ts-expect-error a number is not a note
        await hub.publish('notes', 5);
        // @ts-expect-error notes need text
        await hub.publish('notes', { body: 'x' });
        // @ts-expect-error unknown topic
        await hub.publish('other', { text: 'x' });
      }
    } finally {
      await hub.close();
    }
  });

  it('without a map any topic and any data are accepted by the types', async () => {
    const hub = createHub({ anonymous: true });
    try {
      expectTypeOf(hub.publish).parameter(0).toEqualTypeOf<string>();
      expect(await hub.publish('anything', { any: ['shape'] })).toMatch(/-1$/);
    } finally {
      await hub.close();
    }
  });
});
