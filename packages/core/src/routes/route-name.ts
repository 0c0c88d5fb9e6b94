/** The routes of the protocol, by the last path segment under the adapter's path. */
export type RouteName = 'poll' | 'long-poll' | 'sse' | 'publish' | 'ws' | 'ready';

/** The route names of the protocol. */
export const ROUTE_NAMES: ReadonlySet<string> = new Set<RouteName>([
  'poll',
  'long-poll',
  'sse',
  'publish',
  'ws',
  'ready',
]);

/** The last path segment of a pathname (a trailing slash ignored). */
export function routeName(pathname: string): string {
  const path = pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Checks an adapter's `path` option and returns it without a trailing slash (`/` becomes the empty
 * string, so routes sit at `/poll`…). Throws a TypeError for anything that is not a plain path.
 */
export function resolvePath(path: string): string {
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(path) || path.includes('//')) {
    throw new TypeError(`path must be a URL path like /realtime, got ${JSON.stringify(path)}`);
  }
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * How a request's full pathname relates to an adapter that owns `path` (resolved, see
 * resolvePath): the route it asks for when it is exactly `{path}/{route}` (a trailing slash
 * allowed); `misconfigured` when the adapter was mounted by its framework under `mount` (e.g.
 * Express's `req.baseUrl`), a prefix from which `path` can never be reached, and the request looks
 * like one of ours; else undefined: not ours, hand it to the app.
 */
export function matchRoute(
  path: string,
  pathname: string,
  mount = '',
): RouteName | 'misconfigured' | undefined {
  const name = routeName(pathname);
  if (!ROUTE_NAMES.has(name)) return undefined;
  const at = pathname.length - name.length - (pathname.endsWith('/') ? 2 : 1);
  if (at === path.length && pathname.startsWith(path) && pathname[at] === '/') return name as RouteName;
  const prefix = mount.endsWith('/') ? mount.slice(0, -1) : mount;
  if (prefix !== '' && path !== prefix && !path.startsWith(`${prefix}/`)) return 'misconfigured';
  return undefined;
}
