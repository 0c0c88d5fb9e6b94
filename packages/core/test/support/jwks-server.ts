import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { PublicKeyAlgorithm } from '../../src/index.ts';

/** A signing key of the fake identity provider. */
export interface ProviderKey {
  kid: string;
  jwk: JWK;
  sign(claims: Record<string, unknown>): Promise<string>;
}

/** Creates a key pair with jose; the public half goes in the set, the private half signs. */
export async function createProviderKey(alg: PublicKeyAlgorithm, kid: string): Promise<ProviderKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), alg, kid, use: 'sig' };
  return {
    kid,
    jwk,
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(privateKey),
  };
}

/** A JWKS endpoint on 127.0.0.1 whose keys a test can rotate, counting the fetches it answers. */
export interface JwksServer {
  url: string;
  /** Fetches of the set answered so far. */
  readonly fetches: number;
  /** Replaces the published keys (a rotation). */
  publish(keys: ProviderKey[]): void;
  /** `stall`: accept requests and never answer; `broken`: answer 500; `ok`: serve the set. */
  mode: 'ok' | 'stall' | 'broken';
  close(): Promise<void>;
}

/** Starts the endpoint on a free loopback port. */
export async function startJwksServer(keys: ProviderKey[]): Promise<JwksServer> {
  let published = keys;
  let fetches = 0;
  const stalled = new Set<import('node:http').ServerResponse>();
  const state = { mode: 'ok' as JwksServer['mode'] };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    if (state.mode === 'stall') {
      stalled.add(res);
      return;
    }
    if (state.mode === 'broken') {
      res.writeHead(500).end('down');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    get fetches() {
      return fetches;
    },
    publish(next) {
      published = next;
    },
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    async close() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
