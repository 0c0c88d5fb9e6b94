import { TidingsError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { fromBase64Url, toBase64Url } from './base64url.ts';

/** Options of `hub.issueTicket`. */
export interface IssueTicketOptions {
  /** How long the ticket may be presented, in ms. Default `tickets.ttlMs` (30000); at most `tickets.maxTtlMs`. */
  ttlMs?: number;
  /** When given, the ticket opens these topics only: a connection it opens may not subscribe to others. Default: any topic `authorize` allows. */
  topics?: string[];
}

/** What a valid ticket carries. */
export interface OpenedTicket {
  principal: Principal;
  topics: string[] | undefined;
  /** Unique per ticket: the key its single use is claimed under. */
  nonce: string;
  /** When the ticket stops being accepted, in ms since the epoch. */
  expiresAtMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const PREFIX = 'v1.';
// Bound the URL a ticket makes, and the work a forged one costs, before any crypto.
const MAX_TICKET_LENGTH = 4096;
const IV_BYTES = 12;
// Bound to the format: a ticket sealed for another purpose with the same key never opens here.
const AAD = encoder.encode('tidings connect ticket v1');

const refused = (): TidingsError => new TidingsError('unauthorized', 'invalid, used or expired ticket');

/**
 * Seals and opens tickets with AES-GCM under a key derived from a shared secret.
 *
 * WebCrypto directly rather than a JWE from jose: the ticket rides in a URL, so every byte counts (a
 * compact JWE adds a JSON header, an empty key segment and its tag as separate base64url parts,
 * about 40 bytes more for the same contents), it never leaves this library (nothing else must read
 * it), and the one primitive it needs is a single WebCrypto call on every runtime we support.
 */
export interface TicketSealer {
  seal(principal: Principal, topics: string[] | undefined, expiresAtMs: number): Promise<string>;
  /** Opens a ticket; throws the `unauthorized` TidingsError when it is forged, malformed or expired. */
  open(ticket: string, nowMs: number): Promise<OpenedTicket>;
}

/**
 * Creates a sealer. The key is HKDF-SHA-256 of the secret with a label of its own, so it never
 * equals a JWT key made from the same secret. Tickets are encrypted, not only signed: a ticket in
 * an access log reveals nothing about the principal, and anyone without the secret can neither
 * read nor forge one. Every hub with the same secret opens every other's tickets.
 */
export function createTicketSealer(secret: string | Uint8Array): TicketSealer {
  const raw = typeof secret === 'string' ? encoder.encode(secret) : new Uint8Array(secret);
  const key: Promise<CryptoKey> = crypto.subtle
    .importKey('raw', raw, 'HKDF', false, ['deriveKey'])
    .then((base) =>
      crypto.subtle.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('tidings'), info: AAD },
        base,
        { name: 'AES-GCM', length: 256 },
        false,
        ['encrypt', 'decrypt'],
      ),
    );
  return {
    async seal(principal, topics, expiresAtMs) {
      const body: Record<string, unknown> = {
        n: toBase64Url(crypto.getRandomValues(new Uint8Array(16))),
        e: expiresAtMs,
        p: { id: principal.id, expiresAt: principal.expiresAt, claims: principal.claims },
      };
      if (topics) body.t = topics;
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: AAD },
        await key,
        encoder.encode(JSON.stringify(body)),
      );
      const bytes = new Uint8Array(IV_BYTES + sealed.byteLength);
      bytes.set(iv);
      bytes.set(new Uint8Array(sealed), IV_BYTES);
      const ticket = PREFIX + toBase64Url(bytes);
      if (ticket.length > MAX_TICKET_LENGTH) {
        throw new TypeError(
          `the principal is too large for a ticket (over ${MAX_TICKET_LENGTH} characters): keep its claims small`,
        );
      }
      return ticket;
    },
    async open(ticket, nowMs) {
      if (ticket.length > MAX_TICKET_LENGTH || !ticket.startsWith(PREFIX)) throw refused();
      const bytes = fromBase64Url(ticket.slice(PREFIX.length));
      if (!bytes || bytes.length <= IV_BYTES + 16) throw refused();
      let body: { n?: unknown; e?: unknown; p?: Record<string, unknown>; t?: unknown };
      try {
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES), additionalData: AAD },
          await key,
          bytes.slice(IV_BYTES),
        );
        body = JSON.parse(decoder.decode(plain));
      } catch {
        throw refused();
      }
      const { n, e, p, t } = body;
      if (typeof n !== 'string' || typeof e !== 'number' || e <= nowMs || typeof p !== 'object' || !p) {
        throw refused();
      }
      const principal: Principal = {};
      if (typeof p.id === 'string') principal.id = p.id;
      if (typeof p.expiresAt === 'number') {
        if (p.expiresAt <= nowMs) throw refused();
        principal.expiresAt = p.expiresAt;
      }
      if (typeof p.claims === 'object' && p.claims !== null)
        principal.claims = p.claims as Record<string, unknown>;
      return { principal, topics: Array.isArray(t) ? (t as string[]) : undefined, nonce: n, expiresAtMs: e };
    },
  };
}
