import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Hub, verifyJwt } from '@tidings/core';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { bundleClient, type ClientBundle } from './client-bundle.ts';
import { createConnectionCutter } from './connection-cutter.ts';
import { createLabPublisher, type LabEvent, type LabPublisherOptions } from './lab-publisher.ts';

/** Options of `createLab`. */
export interface LabOptions extends LabPublisherOptions {
  /** The hub the lab publishes on, topic `lab`. */
  hub: Hub<{ lab: LabEvent }>;
  /** The JWT secret: the cut route only cuts the connections of the token it is called with. */
  secret: string;
  /** Where tidings is mounted. Default `/realtime`. */
  basePath?: string;
  /** How long a cut user's new connections are dropped, in ms. Default 1500. */
  outageMs?: number;
}

/** The transport lab's server side: its routes, the connection cutter, and the demo publisher. */
export interface Lab {
  /** `GET /lab/client.js` and the `/api/lab/*` routes. */
  router: Router;
  /** Goes in front of the tidings middleware (see ConnectionCutter.track). */
  track(req: Request, res: Response, next: NextFunction): void;
  /** An `upgrade` listener to add before tidings' own. */
  watchUpgrade(req: IncomingMessage, socket: Duplex): void;
  /** Resolves once the client bundle is built; rejects if it cannot be. */
  ready: Promise<void>;
  /** Stops the publisher. */
  close(): void;
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
  const basePath = options.basePath ?? '/realtime';
  const publisher = createLabPublisher((event) => hub.publish('lab', event), options);
  const cutter = createConnectionCutter({ wsPath: `${basePath}/ws`, outageMs: options.outageMs });
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
    res.json({ user, cut: cutter.cut(user), outageMs: cutter.outageMs });
  });

  router.get('/api/lab/stats', async (_req, res) => {
    const { bytes, gzipBytes } = await bundle.catch(() => ({ bytes: 0, gzipBytes: 0 }));
    res.set('cache-control', 'no-store').json({
      hub: hub.stats(),
      cpuPercent: cpu(),
      rssBytes: process.memoryUsage.rss(),
      publisher: publisher.state(),
      cutOutageMs: cutter.outageMs,
      clientBundle: { bytes, gzipBytes },
    });
  });

  return {
    router,
    track: cutter.track,
    watchUpgrade: cutter.watchUpgrade,
    ready: bundle.then(() => undefined),
    close: publisher.close,
  };
}
