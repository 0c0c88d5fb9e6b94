import type { IncomingMessage, Server } from 'node:http';
import { type Hub, signJwt, verifyJwt } from '@tidings/core';
import { createConnectionCutter, tokenSubject } from '@tidings/testing';
import express, { type Router } from 'express';
import { bundleClient, type ClientBundle } from './client-bundle.ts';
import { createLabPublisher, type LabEvent, type LabPublisherOptions } from './lab-publisher.ts';

/** Options of `createLab`. */
export interface LabOptions extends LabPublisherOptions {
  /** The hub the lab publishes on, topic `lab`; `lab.viewers` keeps presence (who is watching). */
  hub: Hub<{ lab: LabEvent; 'lab.viewers': never }>;
  /** The JWT secret: the cut route only cuts the connections of the token it is called with. */
  secret: string;
  /** The path tidings serves under. Default `/realtime`. */
  path?: string;
  /** How long a cut user's new connections are dropped, in ms. Default 1500. */
  outageMs?: number;
}

/** The transport lab's server side: its routes, the connection cutter, and the demo publisher. */
export interface Lab {
  /** `GET /lab/client.js` and the `/api/lab/*` routes. */
  router: Router;
  /** Lets the cut route reach the server's connections (HTTP and WebSocket); returns the detach function. */
  attach(server: Server): () => void;
  /** Resolves once the client bundle is built; rejects if it cannot be. */
  ready: Promise<void>;
  /** Stops the publisher and the connection cutter. */
  close(): void;
}

const VIEWER_ID = /^viewer-[a-z0-9]{4,12}$/;
/** The `lab-user` query parameter the lab page adds to its WebSocket URLs (see the cut route). */
function labUser(request: IncomingMessage): string | undefined {
  return new URL(request.url ?? '/', 'http://x').searchParams.get('lab-user') ?? undefined;
}

/** Process CPU use between two calls, in percent of one core. */
function createCpuMeter(): () => number {
  let last = { at: performance.now(), usage: process.cpuUsage() };
  return () => {
    const at = performance.now();
    const usage = process.cpuUsage();
    const spentUs = usage.user - last.usage.user + usage.system - last.usage.system;
    const percent = (spentUs / 1000 / Math.max(1, at - last.at)) * 100;
    last = { at, usage };
    return Math.round(percent * 10) / 10;
  };
}

/**
 * DEMO ONLY. The lab page's server side: a bounded publisher on `lab`, a route that cuts one
 * client's connections, server load figures, and `@tidings/client` bundled for the browser.
 */
export function createLab(options: LabOptions): Lab {
  const { hub } = options;
  const path = options.path ?? '/realtime';
  const publisher = createLabPublisher((event) => hub.publish('lab', event), options);
  const outageMs = options.outageMs ?? 1500;
  // The cutter of @tidings/testing, on the tidings routes only: the cut request itself must answer.
  const cutter = createConnectionCutter({ outageMs });
  const realtime = (req: IncomingMessage) => (req.url ?? '/').startsWith(`${path}/`);
  const cpu = createCpuMeter();
  const bundle: Promise<ClientBundle> = bundleClient();
  const router = express.Router();

  router.get('/lab/client.js', async (_req, res, next) => {
    try {
      const { code } = await bundle;
      res.type('text/javascript').set('cache-control', 'no-cache').send(code);
    } catch (error) {
      next(error);
    }
  });

  // For the page's clock offset: latency compares the server's publish time with the page's clock.
  router.get('/api/lab/clock', (_req, res) => {
    res.set('cache-control', 'no-store').json({ now: performance.timeOrigin + performance.now() });
  });

  router.post('/api/lab/rate', (req, res) => {
    try {
      res.json(publisher.set({ rate: req.body?.rate, payloadBytes: req.body?.payloadBytes }));
    } catch (error) {
      res.status(400).json({ error: (error as Error).message });
    }
  });

  // Cuts the caller's own connections: the token says whose, so a page cannot cut another user's.
  // HTTP requests carry the token in a header; a WebSocket sends it in its first message, after the
  // upgrade the cutter sees, so the lab page tags its sockets' URLs with `lab-user` (a demo-only
  // parameter the hub ignores). A page that tags a socket with someone else's id only lets that
  // user cut it.
  router.post('/api/lab/cut', async (req, res) => {
    const header = req.headers.authorization ?? '';
    let user: string | undefined;
    try {
      user = (await verifyJwt(header.replace(/^Bearer /, ''), { secret: options.secret })).id;
    } catch {
      // Refused below.
    }
    if (user === undefined) {
      res.status(401).json({ error: 'a valid token is required' });
      return;
    }
    const isUser = (req: IncomingMessage) => realtime(req) && (tokenSubject(req) ?? labUser(req)) === user;
    const cut = cutter.cut(isUser);
    if (cut === 0) {
      // Nothing in flight: a short poller between two polls. An outage counted from now could end
      // before its next poll (a busy machine delays the page's timer), and it would never see the
      // cut. So its next request is refused whenever it comes (within 10 s), and the ones after it
      // for `outageMs` from then.
      let firstRefusedAt: number | undefined;
      cutter.cut(
        (req) => {
          if (!isUser(req)) return false;
          firstRefusedAt ??= performance.now();
          return performance.now() - firstRefusedAt < outageMs;
        },
        { outageMs: 10_000 },
      );
    }
    res.json({ user, cut, outageMs });
  });

  // Who is watching: the viewers on `lab.viewers`, and the cursor to follow their joins and leaves
  // from. The cursor is read first, so a change in between is replayed rather than lost.
  router.get('/api/lab/viewers', async (_req, res, next) => {
    try {
      const cursor = hub.head();
      const { users } = await hub.presence('lab.viewers');
      res.set('cache-control', 'no-store').json({ users, cursor });
    } catch (error) {
      next(error);
    }
  });

  // DEMO ONLY: a token for the viewer id the page keeps in localStorage, so that every tab of one
  // browser is one viewer. Anyone may claim any viewer id; it is only a name on the page.
  router.get('/api/lab/viewer-token', async (req, res) => {
    const id = String(req.query.id ?? '');
    if (!VIEWER_ID.test(id)) {
      res.status(400).json({ error: 'id must be viewer- and 4 to 12 letters or digits' });
      return;
    }
    const iat = Math.floor(Date.now() / 1000);
    const token = await signJwt({ sub: id, iat, exp: iat + 600 }, options.secret);
    res.set('cache-control', 'no-store').json({ token });
  });

  router.get('/api/lab/stats', async (_req, res) => {
    const { bytes, gzipBytes } = await bundle.catch(() => ({ bytes: 0, gzipBytes: 0 }));
    res.set('cache-control', 'no-store').json({
      hub: hub.stats(),
      cpuPercent: cpu(),
      rssBytes: process.memoryUsage.rss(),
      publisher: publisher.state(),
      cutOutageMs: outageMs,
      clientBundle: { bytes, gzipBytes },
    });
  });

  return {
    router,
    attach: (server) => cutter.attach(server),
    ready: bundle.then(() => undefined),
    close() {
      publisher.close();
      cutter.close();
    },
  };
}
