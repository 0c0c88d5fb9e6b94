import type { HubRequest } from '../hub-request.ts';

/** Where to look for a token in a request. */
export interface TokenSources {
  tokenInQuery: boolean;
  tokenCookie?: string | undefined;
}

function fromCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return (
        decodeURIComponent(raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw) || undefined
      );
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Finds the request's token: `Authorization: Bearer` first, then the `token` query parameter (only
 * with `tokenInQuery`: URLs are logged), then the named cookie. A `?ticket=` is not a token; the
 * authenticator redeems it before looking here.
 */
export function extractToken(request: HubRequest, url: URL, sources: TokenSources): string | undefined {
  const authorization = request.headers.get('authorization');
  if (authorization) {
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  if (sources.tokenInQuery) {
    const query = url.searchParams.get('token');
    if (query) return query;
  }
  return sources.tokenCookie ? fromCookie(request.headers.get('cookie'), sources.tokenCookie) : undefined;
}
