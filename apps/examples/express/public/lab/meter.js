// Counts what one client costs on the wire, by wrapping the `fetch` and `WebSocket` it is given:
// HTTP requests made and bytes received. See "What is counted" on the page.

// UTF-8 size of a string without encoding it (WebSocket text messages arrive as strings).
function utf8Bytes(text) {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // 2 bytes up to U+07FF, 3 above; each half of a surrogate pair adds 1, so a pair makes 4.
    if (code > 0x7f) bytes += code > 0x7ff && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

// The status line and headers as the browser hands them to the page: close to their HTTP/1.1
// size on the wire.
function headerBytes(response) {
  let bytes = `HTTP/1.1 ${response.status} ${response.statusText}\r\n\r\n`.length;
  for (const [name, value] of response.headers) bytes += name.length + value.length + 4;
  return bytes;
}

// A server-to-client frame has a 2-byte header, 2 more past 125 bytes of payload, 8 more past 64 KiB.
function frameBytes(payloadBytes) {
  return payloadBytes + (payloadBytes > 65_535 ? 10 : payloadBytes > 125 ? 4 : 2);
}

/** A meter: `counts` goes up as the client uses `fetch` and `WebSocket`, pass both to createClient. */
export function createMeter() {
  const counts = { requests: 0, bytes: 0 };

  async function meteredFetch(input, init) {
    counts.requests++;
    const response = await fetch(input, init);
    counts.bytes += headerBytes(response);
    if (!response.body) return response;
    // The body goes through a counter as it streams, so a long SSE response is counted live.
    const counter = new TransformStream({
      transform(chunk, controller) {
        counts.bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(counter), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  class MeteredWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      counts.requests++;
      this.addEventListener('message', ({ data }) => {
        counts.bytes += frameBytes(
          typeof data === 'string' ? utf8Bytes(data) : (data.byteLength ?? data.size),
        );
      });
    }
  }

  return { counts, fetch: meteredFetch, WebSocket: MeteredWebSocket };
}
