import { withTimeout } from '@tidings/core/broker';
import { describe, expect, it } from 'vitest';

describe('withTimeout (@tidings/core/broker)', () => {
  it('settles with the work when it comes first', async () => {
    await expect(withTimeout(Promise.resolve(7), 60_000, () => new Error('late'))).resolves.toBe(7);
    const failed = new Error('refused');
    await expect(withTimeout(Promise.reject(failed), 60_000, () => new Error('late'))).rejects.toBe(failed);
  });

  it('rejects with onTimeout() when the work never settles, and ignores a late failure of the work', async () => {
    let fail!: (error: Error) => void;
    const work = new Promise<number>((_, reject) => {
      fail = reject;
    });
    const timedOut = new Error('store unavailable');
    await expect(withTimeout(work, 10, () => timedOut)).rejects.toBe(timedOut);
    // A rejection nobody awaits any more must not surface as an unhandled rejection.
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    fail(new Error('too late'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', record);
    expect(unhandled).toEqual([]);
  });
});
