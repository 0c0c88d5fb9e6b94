import { STATUS_CODES } from 'node:http';

/** The answers `status()` can make the proxy give instead of the server. */
export type StatusFault = 503 | 504 | '403-html';

/** The kinds `status()` accepts, for validation. */
export const STATUS_FAULTS: readonly StatusFault[] = [503, 504, '403-html'];

// Bodies a client must survive: none of them is the JSON a tidings server sends.
const BODIES: Record<`${StatusFault}`, { status: number; type: string; body: string }> = {
  503: { status: 503, type: 'text/plain; charset=utf-8', body: 'Service Unavailable\n' },
  504: {
    status: 504,
    type: 'text/html; charset=utf-8',
    body:
      '<!doctype html>\n<html><head><title>504 Gateway Timeout</title></head>\n' +
      '<body><h1>Gateway Timeout</h1><p>The upstream server did not answer in time.</p></body></html>\n',
  },
  '403-html': {
    status: 403,
    type: 'text/html; charset=utf-8',
    body:
      '<!doctype html>\n<html><head><title>Access Denied</title></head>\n' +
      '<body><h1>Access Denied</h1><p>Your organization&#39;s web filter does not allow this request.</p>' +
      '<p>Contact your IT help desk if you believe this is an error.</p></body></html>\n',
  },
};

/** The proxy's own answer for a `status()` fault. */
export function statusAnswer(kind: StatusFault, options: { close: boolean; head: boolean }): Buffer {
  const { status, type, body } = BODIES[kind];
  return httpAnswer(status, type, body, options);
}

/** The proxy's own answer to a refused upgrade: a plain-text page with `status`. */
export function refusedUpgradeAnswer(status: number, options: { close: boolean; head: boolean }): Buffer {
  return httpAnswer(status, 'text/plain; charset=utf-8', `${status} ${reason(status)}\n`, options);
}

function httpAnswer(
  status: number,
  type: string,
  body: string,
  { close, head }: { close: boolean; head: boolean },
): Buffer {
  const text = Buffer.from(body);
  const lines = [
    `HTTP/1.1 ${status} ${reason(status)}`,
    `Content-Type: ${type}`,
    `Content-Length: ${text.length}`,
    'Cache-Control: no-store',
    `Connection: ${close ? 'close' : 'keep-alive'}`,
  ];
  const start = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  // A HEAD request gets the same header section and no body (RFC 9110 §9.3.2).
  return head ? start : Buffer.concat([start, text]);
}

function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}
