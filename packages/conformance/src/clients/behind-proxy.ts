// By path, not by package name: @tidings/testing's tests serve through @tidings/node, whose tests
// run this suite, so a dependency here would close a cycle in the workspace graph (turbo refuses).
import { createFaultProxy, type FaultProxy } from '../../../testing/src/index.ts';
import type { Harness } from '../harness.ts';

/** A fault proxy in front of a case's server, with the routes through it. */
export interface Proxied {
  proxy: FaultProxy;
  /** Like `Harness.route`, through the proxy. */
  route(route: string, query?: Record<string, string | undefined>): string;
}

/**
 * Starts a fault proxy (`@tidings/testing`) in front of the harness's server, for cases whose
 * fault is the network's: a stalled link, a silent one. `cleanup` closes it after the case.
 */
export async function behindProxy(h: Harness, cleanup: (close: () => unknown) => void): Promise<Proxied> {
  const proxy = await createFaultProxy({ target: h.url });
  cleanup(() => proxy.close());
  return { proxy, route: (route, query) => proxy.url + h.route(route, query).slice(h.url.length) };
}
