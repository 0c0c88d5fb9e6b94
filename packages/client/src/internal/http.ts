import { type ClientErrorCode, toClientCode } from '../client-error.ts';
import type { Failure } from './decide.ts';
import type { Link } from './link.ts';

/** Query values; undefined ones are left out. */
export type Query = Record<string, string | number | undefined>;

/** The URL of a route under the mount, resolved against the page in a browser. */
export function routeUrl(base: string, route: string, query: Query): string {
  const url = new URL(`${base.replace(/\/$/, '')}/${route}`, globalThis.location?.href);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(key, `${value}`);
  }
  return url.href;
}

/** The URL of a transport's route, asking for the link's topics from its cursor. */
export function linkUrl(link: Link, route: string, timeout?: number): string {
  return routeUrl(link.url, route, { topics: `${link.topics}`, cursor: link.cursor(), timeout });
}

/** Fetches a URL with the link's token in the Authorization header, never in the URL. */
export function send(
  link: Pick<Link, 'fetch' | 'token'>,
  url: string,
  init: RequestInit & { headers?: Record<string, string> },
): Promise<Response> {
  const headers = { ...init.headers, ...(link.token && { authorization: `Bearer ${link.token}` }) };
  return link.fetch(url, { ...init, headers });
}

/**
 * Reads a refused answer: status, the protocol error code of its body (and the topics a `forbidden`
 * names), and Retry-After in seconds (the form tidings sends; an HTTP date is ignored, the backoff
 * applies).
 */
export async function failureOf(response: Response): Promise<Failure> {
  let code: ClientErrorCode | undefined;
  let topics: unknown;
  try {
    const error = (await response.json()).error;
    if (error.code !== undefined) code = toClientCode(error.code);
    topics = error.topics;
  } catch {
    // Not the protocol's error body (a proxy's page): the status alone decides.
  }
  const seconds = +response.headers.get('retry-after')!;
  return {
    status: response.status,
    message: `HTTP ${response.status}`,
    code,
    topics: Array.isArray(topics) ? topics : undefined,
    retryMs: seconds > 0 ? seconds * 1000 : undefined,
  };
}

/** No answer at all: the server or the network is down, not the transport (retried). */
export const NETWORK: Failure = { code: 'network', message: 'network error' };

/**
 * Asks plain HTTP why a streaming transport never opened. Browsers hide a refused upgrade's status,
 * and a request held without an answer says nothing, but the short-poll route runs the same auth,
 * permission and limit checks: its answer tells a 401 or a 503 from a network that blocks this
 * transport (the poll answers 200: `silent`, fall back) or a server that is down (no answer within
 * `connectTimeoutMs`: `network`, retry).
 */
export async function diagnose(link: Link): Promise<Failure> {
  try {
    const response = await send(link, linkUrl(link, 'poll'), {
      signal: AbortSignal.timeout(link.connectTimeoutMs),
    });
    if (!response.ok) return await failureOf(response);
    void response.body?.cancel();
    return { silent: true, message: 'blocked while HTTP works' };
  } catch {
    return NETWORK;
  }
}
