import { describe, expect, expectTypeOf, it } from 'vitest';
import { type AnyEnvelope, createClient, type Envelope } from '../src/index.ts';

// An interface, as apps write them: the same type serves createHub and createClient.
interface Topics {
  notes: { text: string };
  counts: number;
}

describe('types', () => {
  it('a topic map types handlers, publish and the catch-all event', () => {
    const client = createClient<Topics>({ url: 'http://127.0.0.1:1/realtime', sharedConnection: false });
    try {
      client.subscribe('notes', (note, envelope) => {
        expectTypeOf(note).toEqualTypeOf<{ text: string }>();
        expectTypeOf(envelope).toEqualTypeOf<Envelope<{ text: string }>>();
      });
      client.on('event', (envelope) => {
        expectTypeOf(envelope).toEqualTypeOf<AnyEnvelope<Topics>>();
        if (envelope.topic === 'counts') expectTypeOf(envelope.data).toEqualTypeOf<number>();
      });
      expectTypeOf(client.publish<'counts'>)
        .parameter(1)
        .toEqualTypeOf<number>();
      // @ts-expect-error: not a topic of the map
      client.subscribe('other', () => {});
      // Type-checked, never called.
      const wrongPayload = () =>
        // @ts-expect-error: wrong payload for the topic
        client.publish('notes', { text: 1 });
      expectTypeOf(wrongPayload).returns.toEqualTypeOf<Promise<string>>();
      expect(client.status).toBe('idle');
    } finally {
      client.close();
    }
  });

  it('without a map, any topic and unknown data', () => {
    const client = createClient({ url: 'http://127.0.0.1:1/realtime', sharedConnection: false });
    client.close();
    expectTypeOf(client.subscribe).parameter(1).parameter(0).toEqualTypeOf<unknown>();
    expect(client.status).toBe('closed');
  });
});
