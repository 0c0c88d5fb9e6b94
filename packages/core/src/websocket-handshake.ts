import type { HubAnswer, HubRequest } from './hub-request.ts';
import { jsonAnswer } from './internal/http.ts';

// A Sec-WebSocket-Key is a base64-encoded 16-byte nonce: 22 characters and `==` (RFC 6455, 4.1).
const KEY = /^[A-Za-z0-9+/]{22}==$/;

function refuse(status: number, message: string, headers?: Record<string, string>): HubAnswer {
  return jsonAnswer(status, JSON.stringify({ error: { code: 'bad_request', message } }), headers);
}

/**
 * Checks the WebSocket opening handshake as RFC 6455 4.2.1 asks of a server. For adapters on
 * runtimes that upgrade whatever they are given (Deno) or fail with a 500 (Bun): call it before
 * `upgrade`, so no slot is taken. A bad key is a 400, a version other than 13 a 426 naming the one
 * supported (4.4). Returns undefined for a valid handshake. (`ws` on Node checks this itself.)
 */
export function webSocketHandshakeError(request: HubRequest): HubAnswer | undefined {
  const headers = request.headers;
  if (headers.get('sec-websocket-version')?.trim() !== '13') {
    return refuse(426, 'only WebSocket version 13 is supported', { 'sec-websocket-version': '13' });
  }
  if (!KEY.test(headers.get('sec-websocket-key')?.trim() ?? '')) {
    return refuse(400, 'Sec-WebSocket-Key must be a base64-encoded 16-byte value');
  }
  return undefined;
}
