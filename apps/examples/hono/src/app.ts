import {
  type HubOptions,
  type JwtSecretOptions,
  type Principal,
  signJwt,
  type TopicAction,
  verifyJwt,
} from '@tidings/core';
import { Hono, type MiddlewareHandler } from 'hono';
import type { Note } from './notes.ts';

/** The topics of this app and what is published on them, so `hub.publish` is type-checked. */
export type Topics = {
  notes: Note;
  chat: { from: string; text: string };
};

/**
 * A public demo value so the example starts with no setup. Anyone can read it here, so anyone
 * could mint tokens for a server that uses it: set TIDINGS_DEMO_SECRET (32+ bytes) for anything else.
 */
export const DEMO_SECRET = 'tidings-demo-secret-not-for-production-use';

// Subscribing needs a valid token (the hub checks it); publishing from a client is only for
// tokens that carry a role, and only on `chat`. Notes are published by the server alone.
function authorize(principal: Principal, topic: string, action: TopicAction): boolean {
  if (action === 'subscribe') return topic === 'notes' || topic === 'chat';
  return topic === 'chat' && typeof principal.claims?.role === 'string';
}

/** The hub's options, the same on every runtime. */
export function hubOptions(secret: string): HubOptions {
  return { jwt: { secret }, authorize };
}

/** Where notes live and how a new one reaches subscribers: in process, or in the Durable Object on Workers. */
export interface NotesBackend {
  /**
   * The notes, and the hub's cursor read before them (`hub.head()`): the page subscribes from it,
   * so nothing published after the notes were read is missed.
   */
  list(): NotesPage | Promise<NotesPage>;
  /** Stores the note and publishes it on `notes` as event `created`. */
  add(text: string): Promise<{ note: Note; eventId: string }>;
  /** Mints a single-use connect ticket for `principal`, limited to `topics` (`hub.issueTicket`). */
  issueTicket(principal: Principal, topics: string[]): Promise<string>;
}

/** The answer of `GET /api/notes`. */
export interface NotesPage {
  notes: Note[];
  cursor: string;
}

/** Options of `buildApp`. */
export interface AppOptions {
  /** HMAC secret for the demo tokens, at least 32 bytes. */
  secret: string;
  /** Lifetime of a token from `GET /api/token`, in seconds. Default 600. */
  tokenTtlS?: number;
  /** The realtime middleware for this runtime: `tidings(hub, …)`, or `tidingsDurable()` on Workers. */
  realtime: MiddlewareHandler;
  notes: NotesBackend;
  /** Serves `public/` (each runtime has its own `serveStatic`; Workers use static assets). Default: none. */
  assets?: MiddlewareHandler;
}

/**
 * The Hono app, the same on Node, Bun, Deno and Workers: REST routes under `/api`, tidings at
 * `/realtime`, and the page. Only the entry files differ, in how they serve it.
 */
export function buildApp(options: AppOptions): Hono {
  const tokenTtlS = options.tokenTtlS ?? 600;
  const app = new Hono();
  // Answers /realtime/{poll,long-poll,sse,publish,ws} and hands every other request on.
  app.use(options.realtime);

  app.get('/api/notes', async (c) => c.json(await options.notes.list()));

  app.post('/api/notes', async (c) => {
    const body = await c.req.json<{ text?: unknown }>().catch(() => undefined);
    const text = body?.text;
    if (typeof text !== 'string' || text.trim() === '' || text.length > 500) {
      return c.json({ error: 'text must be 1 to 500 characters' }, 400);
    }
    // The one line that makes a REST app real-time: every subscriber of `notes` gets the note.
    const { note, eventId } = await options.notes.add(text.trim());
    return c.json({ note, eventId }, 201);
  });

  // DEMO ONLY: this stands in for your app's real login. It hands a short-lived token to anyone who
  // asks; a real app mints it after authenticating the user (or uses `authenticate` with its session).
  // A connect ticket for a URL that cannot carry a header (the page's EventSource): the caller
  // proves who they are with the token in a header and gets a ticket, single-use, valid 30 s.
  const jwt: JwtSecretOptions = { secret: options.secret };
  app.get('/api/realtime-ticket', async (c) => {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const principal = token ? await verifyJwt(token, jwt).catch(() => undefined) : undefined;
    if (!principal) return c.json({ error: 'a valid token is required' }, 401);
    c.header('cache-control', 'no-store');
    return c.json({ ticket: await options.notes.issueTicket(principal, ['notes', 'chat']) });
  });

  app.get('/api/token', async (c) => {
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = issuedAt + tokenTtlS;
    const sub = `guest-${crypto.randomUUID().slice(0, 8)}`;
    // `iat` lets `hub.revoke` tell the tokens issued before a revocation from later ones.
    const token = await signJwt({ sub, role: 'guest', iat: issuedAt, exp: expiresAt }, options.secret);
    c.header('cache-control', 'no-store');
    return c.json({ token, user: sub, expiresAt: expiresAt * 1000 });
  });

  if (options.assets) app.use('/*', options.assets);
  return app;
}
