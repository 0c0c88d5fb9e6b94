import type { Resolved } from '../options.ts';
import type { Failure } from './decide.ts';

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

/** Fetches a route with the token in the Authorization header, never in the URL. */
export function send(
  options: Resolved,
  token: string | undefined,
  route: string,
  query: Query,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return options.fetch(routeUrl(options.url, route, query), { ...init, headers });
}

/** Reads a refused answer: status, the protocol error code of its body, and Retry-After (seconds or an HTTP date). */
export async function failureOf(response: Response): Promise<Failure> {
  let code: string | undefined;
  try {
    code = (await response.json()).error.code;
  } catch {
    // Not the protocol's error body (a proxy's page): the status alone decides.
  }
  const after = response.headers.get('retry-after');
  const seconds = Number(after);
  const failure: Failure = {
    status: response.status,
    message: `HTTP ${response.status}${code ? ` ${code}` : ''}`,
  };
  if (code) failure.code = code;
  if (after)
    failure.retryMs = Math.max(0, seconds >= 0 ? seconds * 1000 : Date.parse(after) - Date.now() || 0);
  return failure;
}
