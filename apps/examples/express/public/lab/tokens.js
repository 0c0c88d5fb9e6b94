/**
 * A token source for one client. `GET /api/token` stands in for the app's login and mints a token
 * for a fresh demo user each time, so every panel is its own user: the cut route drops the
 * connections of the token's user only.
 */
export function createTokenSource() {
  const source = {
    token: undefined,
    user: undefined,
    async get() {
      const response = await fetch('/api/token');
      if (!response.ok) throw new Error(`token: HTTP ${response.status}`);
      const body = await response.json();
      source.token = body.token;
      source.user = body.user;
      return body.token;
    },
  };
  return source;
}
