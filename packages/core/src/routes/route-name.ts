/** The route names of the protocol, as the last path segment under the mount. */
export const ROUTE_NAMES: ReadonlySet<string> = new Set(['poll', 'long-poll', 'sse', 'publish', 'ws']);

/** The last path segment of a pathname (a trailing slash ignored): the route the hub answers by. */
export function routeName(pathname: string): string {
  const path = pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  return path.slice(path.lastIndexOf('/') + 1);
}
