import { ClientError, toClientCode } from '../../client-error.ts';
import { linkUrl } from '../http.ts';
import type { Opener } from '../link.ts';
import { createPending } from '../pending.ts';

/**
 * WebSocket. No token ever goes in the URL: a socket opened with a token sends it as its first
 * message, `{"type":"auth","token":"…"}`, which the server verifies before it welcomes the socket
 * (a refused token closes it 4401); a fresh one is sent the same way on the open socket, which
 * moves its expiry with no reconnect. A publish carries its idempotency `key`, which is also its
 * `ref`, and resolves with the id of the server's `ack`.
 *
 * Two clocks guard the opening (see Link.wait): `connectTimeoutMs` until the handshake completes (a
 * slow link's round trips fit in it), then `openTimeoutMs` until the welcome. A socket that fails
 * before the welcome, by `close` or by `error` alone (Node 22's WebSocket reports a refused
 * handshake with `error` and never `close`; the `ws` package throws on an `error` nobody listens
 * to), is explained by a short poll (see diagnose): it tells a refused token (401) from a blocked
 * transport.
 */
export const openWs: Opener = (link) => {
  const socket = new link.WebSocket(linkUrl(link, 'ws').replace(/^http/, 'ws'));
  const [wait, settle, drop] = createPending();
  let welcomed: boolean | undefined;
  let ended: boolean | undefined;
  // A closing server's `close` message: this client's own delay before it comes back.
  let retryMs: number | undefined;
  const post = (type: string, fields?: object) => socket.send(JSON.stringify({ type, ...fields }));
  const auth = (token: string | undefined) => token && post('auth', { token });
  const end = (): void => {
    ended = true;
    socket.close();
    drop();
  };
  link.wait();

  socket.onopen = () => {
    auth(link.token);
    link.wait(true);
  };
  socket.onmessage = ({ data }) => {
    if (ended) return;
    link.beat();
    let type: string;
    // biome-ignore lint/suspicious/noExplicitAny: server messages are read field by field, as JSON.parse gives them.
    let m: any;
    try {
      // An event's envelope, a reset's info: the message without its `type`.
      ({ type, ...m } = JSON.parse(data));
    } catch {
      // Not our protocol (something in between rewrote the stream): drop the socket and move on.
      end();
      link.fail({ silent: true, message: 'not JSON' });
      return;
    }
    if (type === 'welcome') {
      welcomed = true;
      link.open(m.heartbeat, m.cursor, () => post('ping'));
    } else if (type === 'event' || type === 'reset' || type === 'unsubscribed') link[type](m);
    else if (type === 'close') retryMs = m.retryMs;
    else if (type === 'ping') post('pong');
    else if (type === 'ack') settle(m.ref, m.id);
    else if (type === 'error') {
      const error = new ClientError(toClientCode(m.code), m.message);
      // An error without a publish's ref is about the connection (refused topics).
      if (!settle(m.ref, m.id, error)) link.error(error, m.topics);
    }
  };
  // biome-ignore lint/suspicious/noExplicitAny: a CloseEvent, or the Event of `error` (no code, no reason).
  socket.onclose = socket.onerror = ({ code, reason }: any) => {
    if (ended) return;
    if (!welcomed) return link.why();
    end();
    link.fail({
      close: code,
      // The reason, a protocol code, is the error's code; the close code is in the message.
      code: reason ? toClientCode(reason) : undefined,
      retryMs,
      message: `WebSocket ${code ?? 'error'}`,
    });
  };

  return {
    close: end,
    publish(message) {
      if (!welcomed) return;
      post('publish', { ...message, ref: message.key });
      return wait(message.key);
    },
    auth: (token) => welcomed && auth(token),
    retopic(added, removed) {
      if (!welcomed) return false;
      if (added.length) post('subscribe', { topics: added });
      if (removed.length) post('unsubscribe', { topics: removed });
      return true;
    },
  };
};
