import { createHub, type Hub, type HubOptions } from '@tidings/core';
import { type Served, serve } from '@tidings/node';

/** A real hub behind `serve()` on 127.0.0.1, port 0; anyone may subscribe and publish. */
export interface TestHub {
  readonly hub: Hub;
  readonly served: Served;
  /** `http://127.0.0.1:<port>/realtime`. */
  readonly url: string;
  readonly port: number;
  /** Upgrade requests the server itself received. */
  readonly upgradesSeen: number;
  close(): Promise<void>;
}

export async function startHub(options: Partial<HubOptions> = {}): Promise<TestHub> {
  const hub = createHub({ anonymous: true, authorize: () => true, ...options });
  const served = await serve(hub);
  let upgradesSeen = 0;
  let closing: Promise<void> | undefined;
  served.server.on('upgrade', () => upgradesSeen++);
  return {
    hub,
    served,
    url: served.url,
    port: Number(new URL(served.url).port),
    get upgradesSeen() {
      return upgradesSeen;
    },
    close: () => (closing ??= served.close()),
  };
}
