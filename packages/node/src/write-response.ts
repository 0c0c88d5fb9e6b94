import type { ServerResponse } from 'node:http';
import { RESPONSE_TEXT } from '@tidings/core';

/**
 * Writes a Fetch `Response` to a ServerResponse: status and headers in one `writeHead`, a body
 * streamed with backpressure (waits for `drain`), and the body's reader cancelled if the client goes away.
 */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const text = (response as Response & { [RESPONSE_TEXT]?: string })[RESPONSE_TEXT];
  if (typeof text === 'string') {
    // The hub's JSON answers (every poll) come with their text: one write, no stream to read.
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(response.status, headers).end(text);
    return;
  }
  if (!response.body) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (
    !response.headers.has('content-type') ||
    !response.headers.get('content-type')!.startsWith('text/event-stream')
  ) {
    // Small, finished bodies (every poll answer) go out in one write with a length.
    const bytes = Buffer.from(await response.arrayBuffer());
    headers['content-length'] = String(bytes.byteLength);
    res.writeHead(response.status, headers).end(bytes);
    return;
  }
  res.writeHead(response.status, headers);
  res.flushHeaders();
  const reader = response.body.getReader();
  res.once('close', () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const finish = () => {
            res.off('drain', finish);
            res.off('close', finish);
            resolve();
          };
          res.once('drain', finish);
          res.once('close', finish);
        });
      }
    }
  } catch {
    // The stream failed or was cancelled because the client left; nothing more to send.
  } finally {
    if (!res.writableEnded) res.end();
  }
}
