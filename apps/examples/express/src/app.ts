import { fileURLToPath } from 'node:url';
import {
  createHub,
  type Hub,
  type JwtSecretOptions,
  type Principal,
  signJwt,
  type TopicAction,
  verifyJwt,
} from '@tidings/core';
import { type TidingsMiddleware, tidings } from '@tidings/express';
import express, { type Express } from 'express';
import { type AccessLog, accessLogMiddleware } from './access-log.ts';
import { jsonErrors } from './json-errors.ts';
import { createLab, type Lab } from './lab/create-lab.ts';
import type { LabEvent } from './lab/lab-publisher.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createNoteStore, type Note } from './notes.ts';

/** The topics of this app and what is published on them, so `hub.publish` is type-checked. */
export type Topics = {
  notes: Note;
  chat: { from: string; text: string };
  /** The transport lab's demo events (see src/lab). */
  lab: LabEvent;
  /** Nothing is published here: it exists for its presence, who is watching the lab. */
  'lab.viewers': never;
};

/** Options of `buildApp`. */
export interface AppOptions {
  /** HMAC secret for the demo tokens, at least 32 bytes. */
  secret: string;
  /** Lifetime of a token from `GET /api/token`, in seconds. Default 600. */
  tokenTtlS?: number;
  /** How long the lab's "cut connection" keeps a client's new connections out, in ms. Default 1500. */
  labOutageMs?: number;
  /** Where morgan's access-log lines go (Apache combined format). Default: no access log. */
  accessLog?: AccessLog;
  /**
   * How long a shutdown (`close()`) waits for connections before it drops them, in ms: keep it below
   * your platform's grace period minus a second. Default 10000 (the hub's).
   */
  drainTimeoutMs?: number;
  /** How long a lab viewer stays listed after their page closed, in ms. Default 5000 (the hub's). */
  presenceGraceMs?: number;
}

/** The app and the parts a server or a test needs to reach. */
export interface BuiltApp {
  app: Express;
  hub: Hub<Topics>;
  realtime: TidingsMiddleware;
  /** The transport lab's server side (demo routes, publisher, connection cutter). */
  lab: Lab;
  /** The OpenTelemetry meter provider behind `GET /metrics`. */
  metrics: Metrics;
}

const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));
// The by-hand page's script and styles are the Hono example's page's (one copy for both examples).
const PLAIN_DIR = fileURLToPath(new URL('../../hono/public', import.meta.url));

// Subscribing needs a valid token (the hub checks it); publishing from a client is only for
// tokens that carry a role, and only on `chat`. Notes and lab events are published by the server alone.
function authorize(principal: Principal, topic: string, action: TopicAction): boolean {
  if (action === 'subscribe') return ['notes', 'chat', 'lab', 'lab.viewers'].includes(topic);
  return topic === 'chat' && typeof principal.claims?.role === 'string';
}

/**
 * Builds the Express app: REST routes under `/api`, the transport lab and the pages from
 * `public/`, and tidings under `/realtime`. It does not listen; `listen()` does, so tests can start
 * it on port 0.
 */
export function buildApp(options: AppOptions): BuiltApp {
  const tokenTtlS = options.tokenTtlS ?? 600;
  // One options object, so `verifyJwt` below reuses the hub's rules and its verifier.
  const jwt: JwtSecretOptions = { secret: options.secret };
  const metrics = createMetrics();
  // No token in any URL: headers for HTTP, the first message on a WebSocket (@tidings/client does
  // both), a single-use ticket for an EventSource.
  const hub = createHub<Topics>({
    jwt,
    authorize,
    drainTimeoutMs: options.drainTimeoutMs,
    // Who is watching the lab: its page subscribes to `lab.viewers` (see public/lab/viewers.js).
    presence: (topic) => topic === 'lab.viewers',
    presenceGraceMs: options.presenceGraceMs,
    meter: metrics.meter,
  });
  const realtime = tidings(hub);
  const notes = createNoteStore();
  const lab = createLab({ hub, secret: options.secret, outageMs: options.labOutageMs });
  const app = express();
  app.disable('x-powered-by');
  if (options.accessLog) app.use(accessLogMiddleware(options.accessLog));
  // The JSON parser serves the app's own routes, all under /api. Not global: a body it refuses
  // (not JSON, over its limit) would fail in front of POST /realtime/publish, which reads and checks
  // its body itself and answers its own JSON errors (`bad_request`, `payload_too_large`).
  app.use('/api', express.json({ limit: '16kb' }));

  // The cursor is read before the notes: a note published in between is in both, and the page
  // skips it by id; reading it after could lose one. The page subscribes from this cursor.
  app.get('/api/notes', (_req, res) => {
    const cursor = hub.head();
    res.json({ notes: notes.list(), cursor });
  });

  // Prometheus scrapes this. DEMO: a real app serves it on an internal port or behind auth.
  app.get('/metrics', (req, res) => metrics.handle(req, res));

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
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = issuedAt + tokenTtlS;
    const sub = `guest-${crypto.randomUUID().slice(0, 8)}`;
    // `iat` lets `hub.revoke` tell the tokens issued before a revocation from later ones.
    const token = await signJwt({ sub, role: 'guest', iat: issuedAt, exp: expiresAt }, options.secret);
    res.set('cache-control', 'no-store').json({ token, user: sub, expiresAt: expiresAt * 1000 });
  });

  // A connect ticket, for a URL that cannot carry a header (the by-hand page's EventSource): the
  // caller proves who they are with the token in a header, and gets a single-use ticket that opens
  // one connection within 30 s. The ticket in the URL is dead once used, so a log that keeps it
  // keeps nothing reusable.
  app.get('/api/realtime-ticket', async (req, res) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const principal = token ? await verifyJwt(token, jwt).catch(() => undefined) : undefined;
    if (!principal) {
      res.status(401).json({ error: 'a valid token is required' });
      return;
    }
    const ticket = await hub.issueTicket(principal, { topics: ['notes', 'chat'] });
    res.set('cache-control', 'no-store').json({ ticket });
  });

  app.use(lab.router);
  app.use('/realtime', realtime);
  app.use(express.static(PUBLIC_DIR));
  app.get('/plain.js', (_req, res) => res.sendFile('app.js', { root: PLAIN_DIR }));
  app.get('/plain.css', (_req, res) => res.sendFile('style.css', { root: PLAIN_DIR }));
  // Last: the errors of the routes above (a body `express.json()` refused, say) answered as JSON.
  app.use(jsonErrors());
  return { app, hub, realtime, lab, metrics };
}
