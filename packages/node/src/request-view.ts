import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HubRequest } from '@tidings/core/adapter';
import { bodyOf } from './body-of.ts';

/**
 * Header lookup straight from Node's parsed `req.headers`, so no `Headers` object is filled per
 * request. Node joins repeated headers with `, ` (`; ` for cookies) and keeps the first of the
 * ones that may appear once (`authorization`, `host`, …).
 */
class NodeHeaders {
  readonly #req: IncomingMessage;

  constructor(req: IncomingMessage) {
    this.#req = req;
  }

  get(name: string): string | null {
    const value = this.#req.headers[name.toLowerCase()];
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  }
}

/**
 * A `HubRequest` over an IncomingMessage that builds only what the hub reads: no undici
 * `Request`, `URL` or `Headers`, and the abort signal and body stream only when a route asks
 * (long polls and SSE read the signal, `publish` the body). `path` overrides `req.url` (a
 * framework mounted under a prefix rewrites `req.url`; the hub sees the original).
 */
export class NodeRequestView implements HubRequest {
  readonly headers: NodeHeaders;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse | undefined;
  readonly #path: string;
  #controller: AbortController | undefined;
  #body: ReadableStream<Uint8Array> | null | undefined;

  constructor(req: IncomingMessage, res?: ServerResponse, path: string = req.url ?? '/') {
    this.#req = req;
    this.#res = res;
    this.#path = path;
    this.headers = new NodeHeaders(req);
  }

  get method(): string {
    return this.#req.method ?? 'GET';
  }

  get url(): string {
    const path = this.#path;
    // An absolute-form target (a proxy request) is already a URL.
    if (!path.startsWith('/')) return path;
    const scheme = (this.#req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    return `${scheme}://${this.#req.headers.host ?? 'localhost'}${path}`;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = new AbortController();
    this.#controller = controller;
    const res = this.#res;
    if (res) {
      // The client may already have left while the route awaited (auth): `close` has fired then.
      if (res.destroyed && !res.writableFinished) controller.abort();
      else
        res.once('close', () => {
          if (!res.writableFinished) controller.abort();
        });
    } else if (this.#req.socket.destroyed) controller.abort();
    else this.#req.socket.once('close', () => controller.abort());
    return controller.signal;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body === undefined) this.#body = bodyOf(this.#req);
    return this.#body;
  }
}
