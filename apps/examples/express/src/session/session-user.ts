import signature from 'cookie-signature';
import type { Store } from 'express-session';

/** Who is logged in, as the login route stores it in the session. */
export interface SessionUser {
  id: string;
  name: string;
}

declare module 'express-session' {
  interface SessionData {
    user?: SessionUser;
  }
}

function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Reads the session user from a request's `Cookie` header the way express-session does (the
 * cookie is `s:<id>.<signature>`, signed with the session secret), then loads the session from the
 * same store. Tidings' routes and WebSocket upgrades do not pass through express-session, so the
 * hub's `authenticate` uses this.
 */
export function createSessionReader(options: {
  store: Store;
  secret: string;
  cookieName: string;
}): (cookieHeader: string | null) => Promise<SessionUser | undefined> {
  return async (cookieHeader) => {
    const raw = cookieValue(cookieHeader, options.cookieName);
    if (!raw?.startsWith('s:')) return undefined;
    const sid = signature.unsign(raw.slice(2), options.secret);
    if (sid === false) return undefined;
    const session = await new Promise<{ user?: SessionUser } | null | undefined>((resolve, reject) =>
      options.store.get(sid, (error, data) => (error ? reject(error) : resolve(data))),
    );
    return session?.user;
  };
}
