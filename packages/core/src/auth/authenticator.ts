import { TidingsError } from '../errors.ts';
import type { HubRequest } from '../hub-request.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Principal, TopicAction } from '../principal.ts';
import { verifyJwt } from './jwt.ts';
import { extractToken } from './token.ts';

// Every anonymous client shares one principal: nothing per connection to allocate or keep.
const ANONYMOUS: Principal = Object.freeze({});

/** Resolves a request to a principal and checks topic permissions. */
export interface Authenticator {
  /** Origin check, then token, then principal. Throws a TidingsError (401/403) when refused. */
  authenticate(request: HubRequest, url: URL): Promise<Principal>;
  /** Throws `forbidden` unless the principal may act on every one of the topics. */
  authorize(principal: Principal, topics: readonly string[], action: TopicAction): Promise<void>;
}

function checkOrigin(request: HubRequest, url: URL, options: ResolvedOptions): void {
  const origin = request.headers.get('origin');
  if (origin === null) return;
  if (options.allowedOrigins) {
    if (options.allowedOrigins.includes(origin)) return;
  } else if (!options.tokenCookie || origin === url.origin) return;
  throw new TidingsError('forbidden', 'origin not allowed');
}

/** Builds the authenticator for a hub's options. */
export function createAuthenticator(options: ResolvedOptions): Authenticator {
  const sources = { tokenInQuery: options.tokenInQuery, tokenCookie: options.tokenCookie };
  return {
    async authenticate(request, url) {
      checkOrigin(request, url, options);
      const token = extractToken(request, url, sources);
      if (options.authenticate) {
        const principal = await options.authenticate(request, token);
        if (!principal) throw new TidingsError('unauthorized', 'authentication required');
        return principal;
      }
      if (token !== undefined && options.jwt) return verifyJwt(token, options.jwt);
      // With no token scheme configured a stray Authorization header (meant for the app) is ignored.
      if (options.anonymous) return ANONYMOUS;
      throw new TidingsError(
        'unauthorized',
        token === undefined ? 'authentication required' : 'invalid or expired token',
      );
    },
    async authorize(principal, topics, action) {
      for (const topic of topics) {
        const allowed = options.authorize
          ? await options.authorize(principal, topic, action)
          : action === 'subscribe';
        if (!allowed) throw new TidingsError('forbidden', `not allowed to ${action} on this topic`);
      }
    },
  };
}
