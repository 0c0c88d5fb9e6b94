import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll } from 'vitest';

/** A signing key of the suite's identity provider: the private half signs, the public half is published. */
export interface ProviderKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  jwk: JWK;
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** The private key, for forging tokens with a wrong header. */
  privateKey: CryptoKey;
}

let keySequence = 0;

/** Generates a key pair with jose (WebCrypto) under a fresh `kid`. */
export async function createProviderKey(alg: 'RS256' | 'ES256'): Promise<ProviderKey> {
  keySequence++;
  const kid = `${alg.toLowerCase()}-${keySequence}-${Math.random().toString(36).slice(2, 6)}`;
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), alg, kid, use: 'sig' };
  return {
    kid,
    alg,
    jwk,
    privateKey,
    sign: (claims, header = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT', ...header }).sign(privateKey),
  };
}

/** The suite's identity provider: a JWKS endpoint on 127.0.0.1 whose keys a case rotates. */
export interface JwksProvider {
  /** `http://127.0.0.1:<port>/.well-known/jwks.json` */
  readonly url: string;
  /** The keys published now. */
  readonly keys: readonly ProviderKey[];
  /** Replaces the published set (a rotation). */
  publish(keys: ProviderKey[]): void;
}

/**
 * Starts the provider before the servers of the enclosing describe block (register it first) with
 * one RS256 and one ES256 key, and stops it after them. Returns a getter, like `useServer`.
 */
export function useJwksProvider(): () => JwksProvider {
  let provider: (JwksProvider & { close(): Promise<void> }) | undefined;
  beforeAll(async () => {
    let keys: ProviderKey[] = [await createProviderKey('RS256'), await createProviderKey('ES256')];
    const open = new Set<ServerResponse>();
    const server = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      open.add(res);
      res.on('close', () => open.delete(res));
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    provider = {
      url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      get keys() {
        return keys;
      },
      publish(next) {
        keys = next;
      },
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }, 30_000);
  afterAll(async () => {
    await provider?.close();
    provider = undefined;
  });
  return () => {
    if (!provider) throw new Error('the JWKS provider did not start');
    return provider;
  };
}
