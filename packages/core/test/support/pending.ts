import type { AnyHub } from '../../src/index.ts';
import { request } from './harness.ts';

/** A request in flight, whose answer can be looked at without awaiting it. */
export interface Pending {
  readonly promise: Promise<Response | undefined>;
  /** The answer once it came, else undefined. */
  readonly response: Response | undefined;
  readonly settled: boolean;
  /** Aborts the request, as a client going away does. */
  abort(): void;
}

/** Starts `hub.handle` on a GET (or `init`) with an AbortSignal, without waiting for it. */
export function start(hub: AnyHub, path: string, init: RequestInit = {}, clientAddress?: string): Pending {
  const controller = new AbortController();
  let response: Response | undefined;
  let settled = false;
  const promise = hub
    .handle(
      request(path, { ...init, signal: controller.signal }),
      clientAddress === undefined ? {} : { clientAddress },
    )
    .then((r) => {
      response = r;
      settled = true;
      return r;
    });
  return {
    promise,
    get response() {
      return response;
    },
    get settled() {
      return settled;
    },
    abort: () => controller.abort(),
  };
}
