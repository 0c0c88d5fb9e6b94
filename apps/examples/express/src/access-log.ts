import type { IncomingMessage, ServerResponse } from 'node:http';
import morgan from 'morgan';

/** Where access-log lines go, e.g. `(line) => process.stdout.write(line)`. */
export type AccessLog = (line: string) => void;

// Apache's combined format (morgan's `combined`, spelled out so upgrades can use it too), as most proxies and log pipelines expect it. It holds the full URL:
// which is why no credential may ever travel in one (tidings takes tokens from headers, cookies or
// a WebSocket's first message; a `?ticket=` is single-use, so a logged one is already dead).
const FORMAT =
  ':remote-addr - :remote-user [:date[clf]] ":method :url HTTP/:http-version" :status :res[content-length] ":referrer" ":user-agent"';

/** Express middleware logging every request through morgan. */
export function accessLogMiddleware(log: AccessLog): ReturnType<typeof morgan> {
  return morgan(FORMAT, { stream: { write: log } });
}

const formatLine = morgan.compile(FORMAT);

/**
 * Logs a WebSocket upgrade, which never reaches Express (it arrives as the server's `upgrade`
 * event), with the same format, so the log shows all four transports. The status is unknown here.
 */
export function logUpgrade(log: AccessLog, req: IncomingMessage): void {
  const res = { getHeader: () => undefined, headersSent: false } as unknown as ServerResponse;
  const line = formatLine(morgan as never, req as never, res as never);
  if (line) log(`${line}\n`);
}
