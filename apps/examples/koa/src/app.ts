import { fileURLToPath } from 'node:url';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import {
  createHub,
  type Hub,
  type JwtSecretOptions,
  type Principal,
  signJwt,
  type TopicAction,
  verifyJwt,
} from '@tidings/core';
import { type TidingsKoaMiddleware, tidings } from '@tidings/koa';
import Koa from 'koa';
import { jsonErrors } from './json-errors.ts';
import { createNoteStore, type Note } from './notes.ts';
import { servePublic } from './serve-public.ts';

/** The app's topics and their payloads, so `hub.publish` is type-checked. */
export type Topics = {
  notes: Note;
  chat: { from: string; text: string };
};

/** Options of `buildApp`. */
export interface AppOptions {
  /** HMAC secret of the demo tokens, at least 32 bytes. */
  secret: string;
  /** Lifetime of a token from `GET /api/token`, in seconds. Default 600. */
  tokenTtlS?: number;
}

/** The app and the parts a server or a test needs. */
export interface BuiltApp {
  app: Koa;
  hub: Hub<Topics>;
  realtime: TidingsKoaMiddleware;
}

const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));
const MAX_NOTE_CHARS = 500;
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECANCELED']);

// Any valid token may subscribe to the two topics. Clients may publish only on `chat`, and only
// with a token carrying a role; notes come from the server alone, after the REST route saved them.
function authorize(principal: Principal, topic: string, action: TopicAction): boolean {
  if (action === 'subscribe') return topic === 'notes' || topic === 'chat';
  return topic === 'chat' && typeof principal.claims?.role === 'string';
}

/**
 * Builds the Koa app: REST routes under `/api` (@koa/router), tidings under `/realtime`, the demo
 * page from `public/`. It does not listen, so a test can start it on port 0 (see `listen`).
 */
export function buildApp(options: AppOptions): BuiltApp {
  const tokenTtlS = options.tokenTtlS ?? 600;
  const jwt: JwtSecretOptions = { secret: options.secret };
  const hub = createHub<Topics>({ jwt, authorize });
  const realtime = tidings(hub);
  const notes = createNoteStore();

  const api = new Router({ prefix: '/api' });
  // The cursor is read before the notes (a note published in between is in both, never in
  // neither); the page subscribes from it, so nothing is lost between loading and subscribing.
  api.get('/notes', (ctx) => {
    const cursor = hub.head();
    ctx.body = { notes: notes.list(), cursor };
  });
  api.post('/notes', async (ctx) => {
    const text = (ctx.request.body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_NOTE_CHARS) {
      const message = `text must be 1 to ${MAX_NOTE_CHARS} characters`;
      ctx.status = 400;
      ctx.body = { error: { code: 'bad_request', message } };
      return;
    }
    const note = notes.add(text.trim());
    // The line that makes this REST route real-time: every subscriber of `notes` receives the note.
    const eventId = await hub.publish('notes', note, { event: 'created' });
    ctx.status = 201;
    ctx.body = { note, eventId };
  });
  // DEMO ONLY: stands in for a real login. It gives a short-lived token to anyone who asks; a real
  // app signs one after authenticating the user, or checks its session in `authenticate`.
  api.get('/token', async (ctx) => {
    const issuedAtS = Math.floor(Date.now() / 1000);
    const expiresAtS = issuedAtS + tokenTtlS;
    const user = `guest-${crypto.randomUUID().slice(0, 8)}`;
    // `iat` lets `hub.revoke` tell the tokens issued before a revocation from later ones.
    const token = await signJwt(
      { sub: user, role: 'guest', iat: issuedAtS, exp: expiresAtS },
      options.secret,
    );
    ctx.set('cache-control', 'no-store');
    ctx.body = { token, user, expiresAt: expiresAtS * 1000 };
  });

  // A connect ticket for the page's EventSource, which cannot send a header: the caller proves who
  // they are with the token in a header, and gets a single-use ticket for one stream (30 s).
  api.get('/realtime-ticket', async (ctx) => {
    const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
    const principal = token ? await verifyJwt(token, jwt).catch(() => undefined) : undefined;
    if (!principal) {
      ctx.status = 401;
      ctx.body = { error: 'a valid token is required' };
      return;
    }
    ctx.set('cache-control', 'no-store');
    ctx.body = { ticket: await hub.issueTicket(principal, { topics: ['notes', 'chat'] }) };
  });

  const app = new Koa();
  // Koa reports socket errors of answers already under way; for a stream whose client went away
  // with a TCP reset there is nothing left to do (the hub freed it), so only the rest is logged.
  app.on('error', (error: NodeJS.ErrnoException & { headerSent?: boolean }, ctx?: Koa.Context) => {
    if (error.headerSent && CLIENT_GONE.has(error.code ?? '')) return;
    console.error(error, ctx?.path);
  });
  // First, so that what the parser (or any route) throws becomes a JSON error like tidings' own:
  // a body that is not JSON, too large, or garbage under `Content-Encoding: gzip` is the client's
  // mistake (4xx), not a bare 500.
  app.use(jsonErrors());
  // A global JSON parser, as most Koa apps have; tidings' POST /realtime/publish works behind it.
  app.use(bodyParser({ jsonLimit: '16kb' }));
  app.use(realtime);
  app.use(api.routes());
  app.use(api.allowedMethods());
  app.use(servePublic(PUBLIC_DIR));
  return { app, hub, realtime };
}
