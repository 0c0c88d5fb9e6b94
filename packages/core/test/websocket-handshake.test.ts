import { describe, expect, it } from 'vitest';
import { webSocketHandshakeError } from '../src/adapter.ts';

const handshake = (headers: Record<string, string>) => new Request('http://x/rt/ws', { headers });

describe('webSocketHandshakeError', () => {
  it('accepts a version 13 handshake with a 16-byte base64 key', () => {
    expect(
      webSocketHandshakeError(
        handshake({ 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }),
      ),
    ).toBeUndefined();
  });

  it('refuses another version with 426 naming version 13', () => {
    const refused = webSocketHandshakeError(
      handshake({ 'sec-websocket-version': '8', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }),
    );
    expect(refused?.status).toBe(426);
    expect(refused?.headers['sec-websocket-version']).toBe('13');
  });

  it('refuses a malformed key with 400', () => {
    const refused = webSocketHandshakeError(
      handshake({ 'sec-websocket-version': '13', 'sec-websocket-key': 'short' }),
    );
    expect(refused?.status).toBe(400);
  });
});
