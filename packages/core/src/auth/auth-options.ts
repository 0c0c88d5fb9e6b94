import type { JWK } from 'jose';

// How the hub checks tokens: JWTs (a shared secret, fixed public keys, or a provider's JWKS) and
// the hub's own connect tickets. Durations are in milliseconds, as everywhere in `HubOptions`.

/** HMAC algorithms: a secret shared between the token's issuer and the hub. */
export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';

/** Public-key algorithms, as identity providers (Auth0, Okta, Keycloak, Cognito, Entra ID…) sign with. */
export type PublicKeyAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

/** Every JWT algorithm the hub verifies. `none` is never one. */
export type JwtAlgorithm = HmacAlgorithm | PublicKeyAlgorithm;

/** The claim checks every JWT scheme shares. */
export interface JwtClaimOptions {
  /** When set, the token's `iss` must equal it (or one of them). Default: not checked. Off: leave it out. */
  issuer?: string | string[];
  /**
   * When set, the token's `aud` (a string or an array) must contain it (or one of them). Default: not
   * checked. Off: leave it out.
   */
  audience?: string | string[];
  /** Clock leeway for `exp` and `nbf`, in ms. Default 5000. Off: 0 allows none. */
  leewayMs?: number;
}

/** Tokens signed with a shared HMAC secret (your own app mints them, e.g. with `signJwt`). */
export interface JwtSecretOptions extends JwtClaimOptions {
  /** The shared HMAC secret, at least 32 bytes. Required. */
  secret: string | Uint8Array;
  /**
   * Accepted `alg` values. Default `['HS256']`. Public-key algorithms are refused here: a secret is
   * not a public key. Cannot be turned off: a token's `alg` is always checked (`none` never passes).
   */
  algorithms?: HmacAlgorithm[];
}

/**
 * One public key given inline, with the one algorithm it verifies: a token whose `alg` differs never
 * meets this key (so an RSA key can never be used to check an HMAC token). Either a JWK (its own
 * `alg` and `kid` count when not given here) or a PEM `PUBLIC KEY` / `CERTIFICATE`. Never a private key.
 */
export type JwtPublicKey =
  | { jwk: JWK; alg?: PublicKeyAlgorithm; kid?: string }
  | { pem: string; alg: PublicKeyAlgorithm; kid?: string };

/** Tokens signed with private keys whose public halves you list (a fixed set, rotated by redeploying). */
export interface JwtKeysOptions extends JwtClaimOptions {
  /**
   * The public keys, at least one. A token naming a `kid` is checked with the key of that `kid` only.
   * Required.
   */
  keys: JwtPublicKey[];
  /**
   * Accepted `alg` values, on top of each key's own. Default: the algorithms of the keys. Cannot be
   * turned off: a token's `alg` is always checked (`none` never passes).
   */
  algorithms?: PublicKeyAlgorithm[];
}

/** Tokens from an identity provider that publishes its keys as a JWKS (a JSON Web Key Set URL). */
export interface JwtJwksOptions extends JwtClaimOptions {
  /**
   * The provider's JWKS URL, e.g. `https://tenant.auth0.com/.well-known/jwks.json`. `https:` only,
   * except on loopback (`localhost`, `127.0.0.1`, `[::1]`), for tests and local identity providers.
   * Required.
   */
  jwksUrl: string;
  /**
   * Accepted `alg` values. Default: every public-key algorithm (the key's type and its `alg` in the
   * set still have to match). Cannot be turned off: a token's `alg` is always checked (`none` never
   * passes).
   */
  algorithms?: PublicKeyAlgorithm[];
  /**
   * How long a fetched key set is used before it is fetched again, in ms. Default 600000 (10 minutes).
   * Cannot be turned off: the set is always cached; an unknown `kid` refetches it sooner (see
   * `jwksCooldownMs`).
   */
  jwksCacheMs?: number;
  /**
   * A token whose `kid` is not in the cached set makes the hub fetch the set again (the provider
   * rotated its keys), but at most once per this many ms, so forged `kid`s cannot make the hub
   * hammer the provider. Default 30000. Off: 0 lets every unknown `kid` fetch the set again.
   */
  jwksCooldownMs?: number;
  /**
   * How long one fetch of the set may take before it is abandoned (503 for that request), in ms.
   * Default 5000. Cannot be turned off: a provider that never answers would hold the requests waiting
   * for its keys.
   */
  jwksTimeoutMs?: number;
}

/**
 * Built-in JWT verification (with `jose`, on WebCrypto): exactly one of `secret` (HMAC), `keys`
 * (public keys inline) or `jwksUrl` (an identity provider's key set).
 */
export type JwtOptions = JwtSecretOptions | JwtKeysOptions | JwtJwksOptions;

/** Connect tickets (see `hub.issueTicket`). */
export interface TicketOptions {
  /**
   * The key tickets are sealed with (AES-GCM, derived with HKDF), at least 32 bytes. Every hub that
   * should accept a ticket another one issued needs the same secret. Default: derived from
   * `jwt.secret` when the hub has one (with its own label, so a ticket key never equals the JWT
   * key); otherwise tickets are off and `issueTicket` throws. Off: leave it out, and give `jwt` no
   * `secret`.
   */
  secret?: string | Uint8Array;
  /**
   * Lifetime of a ticket when `issueTicket` is given no `ttlMs`, in ms. Default 30000. Cannot be
   * turned off: every ticket expires, at most `maxTtlMs` after it was issued.
   */
  ttlMs?: number;
  /**
   * The longest lifetime `issueTicket` accepts, in ms. Default 300000 (5 minutes). Cannot be turned
   * off: a ticket travels in a URL, so its life is always bounded.
   */
  maxTtlMs?: number;
}
