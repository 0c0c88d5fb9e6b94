/**
 * For broker authors (`@tidings/core/broker`): settles with `work`, or rejects with `onTimeout()`
 * after `ms`. A call sent to a frozen or partitioned store would otherwise wait for as long as TCP
 * does (the Redis client even drops a command's own timeout once it is on the socket), so the
 * broker keeps its own bound. A late outcome of `work` is ignored.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
