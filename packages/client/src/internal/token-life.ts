/**
 * How long a JWT has left, in ms, from its `exp` claim read WITHOUT verifying it (the server
 * verifies; the client only learns when to ask for a fresh one). Undefined for a token that is not
 * a JWT; NaN for one without `exp`.
 */
export function tokenLifeMs(token: string | undefined): number | undefined {
  try {
    return (
      JSON.parse(atob(token!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).exp * 1000 - Date.now()
    );
  } catch {}
}
