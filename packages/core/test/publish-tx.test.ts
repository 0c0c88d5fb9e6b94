import { describe, expect, it } from 'vitest';
import type { Broker, PublishInput } from '../src/broker-api.ts';
import { createHub, createMemoryBroker } from '../src/index.ts';

describe('hub.publish(topic, data, { tx })', () => {
  it('hands tx to a transactional broker, and only then', async () => {
    const memory = createMemoryBroker();
    const seen: PublishInput[] = [];
    const transactional: Broker = {
      ...memory,
      transactional: true,
      publish(input) {
        seen.push(input);
        return memory.publish(input);
      },
    };
    const hub = createHub({ anonymous: true, broker: transactional });
    const tx = { query: () => Promise.resolve() };
    await hub.publish('a', 1, { tx });
    await hub.publish('a', 2);
    expect(seen.map((input) => input.tx)).toEqual([tx, undefined]);
    expect('tx' in seen[1]!).toBe(false);
    await hub.close();

    const plain = createHub({ anonymous: true });
    await expect(plain.publish('a', 1, { tx })).rejects.toThrow(TypeError);
    expect(plain.stats().published).toBe(0);
    await plain.close();
  });
});
