import type { Revocation } from '../cluster.ts';
import type { Principal } from '../principal.ts';

/**
 * True when the principal's credential was issued at or before `atMs`: its `iat` claim (seconds, as
 * JWTs carry it) is not after the moment of the revocation. A principal without `iat` cannot show
 * it is newer, so it counts as revoked.
 */
export function issuedBy(principal: Principal, atMs: number): boolean {
  const iat = principal.claims?.iat;
  return !(typeof iat === 'number' && iat * 1000 > atMs);
}

/** The revocations this node knows of, by user; each is forgotten once its `untilMs` has passed. */
export class Revocations {
  readonly #byUser = new Map<string, Revocation>();

  /** Records a revocation, replacing an earlier one of the same user. */
  set(revocation: Revocation): void {
    this.#byUser.set(revocation.userId, revocation);
  }

  /** True when this principal's credential is revoked now. One map lookup; nothing for anonymous principals. */
  refuses(principal: Principal, now: number): boolean {
    if (principal.id === undefined || this.#byUser.size === 0) return false;
    const revocation = this.#byUser.get(principal.id);
    if (!revocation) return false;
    if (revocation.untilMs <= now) {
      this.#byUser.delete(principal.id);
      return false;
    }
    return issuedBy(principal, revocation.atMs);
  }
}
