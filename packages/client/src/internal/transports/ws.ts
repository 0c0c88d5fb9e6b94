import { ClientError } from '../../client-error.ts';
import type { Failure } from '../decide.ts';
import { failureOf, routeUrl, send } from '../http.ts';
import type { Link, Opener } from '../link.ts';

type Settle = [(id: string) => void, (error: ClientError) => void];

/**
 * Asks plain HTTP why a WebSocket never opened. Browsers hide a refused upgrade's status, but the
 * short-poll route runs the same auth, permission and limit checks: its answer tells a 401 or a 503
 * from a network that blocks WebSockets (poll answers 200) or a server that is down (no answer).
 */
async function diagnose(link: Link): Promise<Failure> {
  try {
    const response = await send(link.options, link.token, 'poll', { topics: `${link.topics}` });
    if (!response.ok) return await failureOf(response);
    void response.body?.cancel();
    return { message: 'WebSocket refused while HTTP works' };
  } catch {
    return { network: true, message: 'server unreachable' };
  }
}

/**
 * WebSocket. The token goes in the `token` query parameter: the browser WebSocket API cannot send
 * headers. Publishes carry a `ref` and resolve with the id of the server's `ack`.
 */
export const openWs: Opener = (link) => {
  const o = link.options;
  const url = routeUrl(o.url, 'ws', {
    topics: `${link.topics}`,
    cursor: link.getCursor(),
    token: link.token,
  });
  const socket = new o.WebSocket(url.replace(/^http/, 'ws'));
  const pending = new Map<string, Settle>();
  let welcomed = false;
  let refs = 0;
  const post = (message: object) => socket.send(JSON.stringify(message));
  const end = (): void => {
    clearTimeout(timer);
    socket.onclose = socket.onmessage = null;
    socket.close();
    for (const [, settle] of pending)
      settle[1](new ClientError('disconnected', 'connection lost before the ack'));
    pending.clear();
  };
  const timer = setTimeout(() => {
    end();
    link.failed({ silent: true, message: `no WebSocket welcome within ${o.openTimeoutMs} ms` });
  }, o.openTimeoutMs);

  socket.onmessage = ({ data }) => {
    // biome-ignore lint/suspicious/noExplicitAny: server messages are read field by field, as JSON.parse gives them.
    let m: any;
    try {
      m = JSON.parse(data);
    } catch {
      // Not our protocol (something in between rewrote the stream): drop the socket and reconnect,
      // rather than throw out of an event handler.
      end();
      link.failed({ opened: welcomed, message: 'malformed WebSocket message' });
      return;
    }
    const type = m.type;
    if (type === 'welcome') {
      clearTimeout(timer);
      welcomed = true;
      if (!link.getCursor()) link.setCursor(m.cursor);
      link.opened();
    } else if (type === 'event') link.event({ id: m.id, topic: m.topic, event: m.event, data: m.data });
    else if (type === 'reset') link.reset(m.cursor);
    else if (type === 'ping') post({ type: 'pong' });
    else if (type === 'ack' || type === 'error') {
      const settle = pending.get(m.ref);
      pending.delete(m.ref);
      if (type === 'ack') settle?.[0](m.id);
      else if (settle) settle[1](new ClientError(m.code, m.message));
      else link.error(new ClientError(m.code, m.message));
    }
  };
  socket.onclose = ({ code, reason }) => {
    end();
    if (!welcomed) diagnose(link).then(link.failed);
    else
      link.failed({
        opened: true,
        close: code,
        code: reason || undefined,
        message: `closed ${code} ${reason}`,
      });
  };

  return {
    close: end,
    publish: (message) =>
      welcomed
        ? new Promise((resolve, reject) => {
            const ref = `${++refs}`;
            pending.set(ref, [resolve, reject]);
            post({ type: 'publish', ...message, ref });
          })
        : undefined,
    retopic(added, removed) {
      if (!welcomed) return false;
      if (added.length) post({ type: 'subscribe', topics: added });
      if (removed.length) post({ type: 'unsubscribe', topics: removed });
      return true;
    },
  };
};
