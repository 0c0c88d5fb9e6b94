import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub, type Hub } from '@tidings/core';
import { tidings } from '@tidings/express';
import express, { type Express } from 'express';
import session from 'express-session';
import { type AccessLog, accessLogMiddleware, logUpgrade } from '../access-log.ts';
import { jsonErrors } from '../json-errors.ts';
import { createSessionReader } from './session-user.ts';

/** Options of `listenSessionApp`. */
export interface SessionAppOptions {
  /** Signs the session cookie, and seals connect tickets (`tickets.secret`). At least 32 bytes. */
  secret: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Where morgan's access-log lines go. Default: none. */
  accessLog?: AccessLog;
}

/** The running session example. */
export interface RunningSessionApp {
  app: Express;
  hub: Hub<{ notes: { text: string; by: string } }>;
  server: Server;
  /** e.g. `http://127.0.0.1:3001` */
  url: string;
  close(): Promise<void>;
}

const COOKIE = 'sid';

/**
 * An app that already has logins in an express-session cookie, made real-time without any token:
 * the hub's `authenticate` reads the same session, so a logged-in page opens SSE and WebSockets
 * with the cookie alone, and `GET /api/realtime-ticket` mints a ticket for the session's user (for
 * another origin, or an `EventSource` where cookies are not sent). Cookies ride along on requests
 * other sites make, so only the app's own origin may use them (`allowedOrigins`).
 */
export async function listenSessionApp(options: SessionAppOptions): Promise<RunningSessionApp> {
  const server = createServer();
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address}:${port}`;

  const store = new session.MemoryStore();
  const userOf = createSessionReader({ store, secret: options.secret, cookieName: COOKIE });
  const hub = createHub<{ notes: { text: string; by: string } }>({
    async authenticate(request) {
      const user = await userOf(request.headers.get('cookie'));
      return user ? { id: user.id, claims: { name: user.name } } : null;
    },
    // Without this, any site could open a socket with the user's cookie (cross-site WebSocket hijacking).
    allowedOrigins: [url],
    tickets: { secret: options.secret },
  });
  const realtime = tidings(hub);

  const app = express();
  app.disable('x-powered-by');
  if (options.accessLog) app.use(accessLogMiddleware(options.accessLog));
  // For the app's routes only: a body it refused would fail in front of POST /realtime/publish,
  // which checks its body itself and answers its own JSON errors.
  app.use(['/login', '/api'], express.json({ limit: '4kb' }));
  app.use(
    session({
      name: COOKIE,
      secret: options.secret,
      store,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: url.startsWith('https:') },
    }),
  );

  // DEMO ONLY: anyone may log in under any name; a real app checks a password here.
  app.post('/login', (req, res) => {
    const name: unknown = req.body?.name;
    if (typeof name !== 'string' || !/^[\w-]{1,32}$/.test(name)) {
      res.status(400).json({ error: 'name must be 1 to 32 letters, digits, - or _' });
      return;
    }
    req.session.regenerate(() => {
      req.session.user = { id: `user:${name}`, name };
      res.json({ user: req.session.user });
    });
  });

  app.post('/logout', (req, res) => {
    req.session.destroy(() => res.status(204).end());
  });

  app.post('/api/notes', async (req, res) => {
    const user = req.session.user;
    if (!user) {
      res.status(401).json({ error: 'log in first' });
      return;
    }
    const id = await hub.publish('notes', { text: String(req.body?.text ?? ''), by: user.name });
    res.status(201).json({ id });
  });

  app.get('/api/realtime-ticket', async (req, res) => {
    const user = req.session.user;
    if (!user) {
      res.status(401).json({ error: 'log in first' });
      return;
    }
    const ticket = await hub.issueTicket({ id: user.id, claims: { name: user.name } }, { topics: ['notes'] });
    res.set('cache-control', 'no-store').json({ ticket });
  });

  app.use('/realtime', realtime);
  app.use(jsonErrors());
  server.on('request', app);
  const ws = realtime.attach(server);
  const { accessLog } = options;
  if (accessLog) server.prependListener('upgrade', (req) => logUpgrade(accessLog, req));
  return {
    app,
    hub,
    server,
    url,
    async close() {
      await hub.close();
      ws.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
