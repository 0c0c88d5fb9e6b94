import { fileURLToPath } from 'node:url';
import { createHub, type Hub, type Principal, signJwt, type TopicAction } from '@tidings/core';
import { type TidingsMiddleware, tidings } from '@tidings/express';
import express, { type Express } from 'express';
import { createLab, type Lab } from './lab/create-lab.ts';
import type { LabEvent } from './lab/lab-publisher.ts';
import { createNoteStore, type Note } from './notes.ts';

/** The topics of this app and what is published on them, so `hub.publish` is type-checked. */
export type Topics = {
  notes: Note;
  chat: { from: string; text: string };
  /** The transport lab's demo events (see src/lab). */
  lab: LabEvent;
};

/** Options of `buildApp`. */
export interface AppOptions {
  /** HMAC secret for the demo tokens, at least 32 bytes. */
  secret: string;
  /** Lifetime of a token from `GET /api/token`, in seconds. Default 600. */
  tokenTtlS?: number;
  /** How long the lab's "cut connection" keeps a client's new connections out, in ms. Default 1500. */
  labOutageMs?: number;
}

/** The app and the parts a server or a test needs to reach. */
export interface BuiltApp {
  app: Express;
  hub: Hub<Topics>;
  realtime: TidingsMiddleware;
  /** The transport lab's server side (demo routes, publisher, connection cutter). */
  lab: Lab;
}

const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));
// The by-hand page's script and styles are the Hono example's page's (one copy for both examples).
const PLAIN_DIR = fileURLToPath(new URL('../../hono/public', import.meta.url));

// Subscribing needs a valid token (the hub checks it); publishing from a client is only for
// tokens that carry a role, and only on `chat`. Notes and lab events are published by the server alone.
function authorize(principal: Principal, topic: string, action: TopicAction): boolean {
  if (action === 'subscribe') return topic === 'notes' || topic === 'chat' || topic === 'lab';
  return topic === 'chat' && typeof principal.claims?.role === 'string';
}

/**
 * Builds the Express app: REST routes under `/api`, the transport lab and the pages from
 * `public/`, and tidings under `/realtime`. It does not listen; `listen()` does, so tests can start
 * it on port 0.
 */
export function buildApp(options: AppOptions): BuiltApp {
  const tokenTtlS = options.tokenTtlS ?? 600;
  const hub = createHub<Topics>({ jwt: { secret: options.secret }, authorize });
  const realtime = tidings(hub);
  const notes = createNoteStore();
  const lab = createLab({ hub, secret: options.secret, outageMs: options.labOutageMs });
  const app = express();
  app.disable('x-powered-by');
  // A global JSON parser, as most apps have: tidings' POST /realtime/publish works behind it.
  app.use(express.json({ limit: '16kb' }));

  app.get('/api/notes', (_req, res) => {
    res.json({ notes: notes.list() });
  });

  app.post('/api/notes', async (req, res) => {
    const text: unknown = req.body?.text;
    if (typeof text !== 'string' || text.trim() === '' || text.length > 500) {
      res.status(400).json({ error: 'text must be 1 to 500 characters' });
      return;
    }
    const note = notes.add(text.trim());
    // The one line that makes a REST app real-time: every subscriber of `notes` gets the note.
    const eventId = await hub.publish('notes', note, { event: 'created' });
    res.status(201).json({ note, eventId });
  });

  // DEMO ONLY: this stands in for your app's real login. It hands a short-lived token to anyone who
  // asks; a real app mints it after authenticating the user (or uses `authenticate` with its session).
  app.get('/api/token', async (_req, res) => {
    const expiresAt = Math.floor(Date.now() / 1000) + tokenTtlS;
    const sub = `guest-${crypto.randomUUID().slice(0, 8)}`;
    const token = await signJwt({ sub, role: 'guest', exp: expiresAt }, options.secret);
    res.set('cache-control', 'no-store').json({ token, user: sub, expiresAt: expiresAt * 1000 });
  });

  app.use(lab.router);
  app.use('/realtime', lab.track, realtime);
  app.use(express.static(PUBLIC_DIR));
  app.get('/plain.js', (_req, res) => res.sendFile('app.js', { root: PLAIN_DIR }));
  app.get('/plain.css', (_req, res) => res.sendFile('style.css', { root: PLAIN_DIR }));
  return { app, hub, realtime, lab };
}
