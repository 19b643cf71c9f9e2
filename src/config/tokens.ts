// How long what Gatehouse issues lives (access tokens, grants, lent logins, cached liveness, signing keys), each
// bounded, and the key sealing the upstream tokens kept in grants.
import type { Reader } from "./reader";

export interface Tokens {
  accessTokenTtl: number;
  refreshIdleTtl: number;
  refreshMaxTtl: number;
  refreshReplayWindow: number;
  /** Seconds after the person last authenticated upstream during which single sign-on may lend that login. */
  ssoMaxAge: number;
  /** Seconds an isolate trusts a grant's "live" answer at /mcp (0 = ask the grant on every request). */
  livenessCacheTtl: number;
  keyRotationDays: number;
  /** base64url AES-256 key sealing upstream tokens in grants (src/tokens/seal.ts); absent → a key kept in the KeyRing. */
  upstreamTokenKey?: string;
}

const DAY = 86_400;

export function parseTokens(read: Reader): Tokens {
  const accessTokenTtl = read.bounded("ACCESS_TOKEN_TTL", 3600, 60, DAY);
  const refreshIdleTtl = read.bounded("REFRESH_IDLE_TTL", 30 * DAY, 3600, 365 * DAY);
  const refreshMaxTtl = read.bounded("REFRESH_MAX_TTL", 90 * DAY, 3600, 365 * DAY);
  if (refreshMaxTtl < refreshIdleTtl) read.problem("REFRESH_MAX_TTL", "must not be shorter than REFRESH_IDLE_TTL");
  const refreshReplayWindow = read.bounded("REFRESH_REPLAY_WINDOW", 30, 0, 300);
  const ssoMaxAge = read.bounded("SSO_MAX_AGE", DAY, 0, 30 * DAY);
  // A grant lent a login ends REFRESH_MAX_TTL after that login (src/oauth/finish-authorization.ts): an older one lends nothing.
  if (ssoMaxAge > refreshMaxTtl) read.problem("SSO_MAX_AGE", "must not be longer than REFRESH_MAX_TTL");
  const livenessCacheTtl = read.bounded("LIVENESS_CACHE_TTL", 30, 0, 30);
  const keyRotationDays = read.bounded("KEY_ROTATION_DAYS", 30, 1, 365);

  const upstreamTokenKey = read.text("UPSTREAM_TOKEN_KEY");
  if (upstreamTokenKey !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(upstreamTokenKey)) read.problem("UPSTREAM_TOKEN_KEY", "must be 32 random bytes in base64url (43 characters)");
  return { accessTokenTtl, refreshIdleTtl, refreshMaxTtl, refreshReplayWindow, ssoMaxAge, livenessCacheTtl, keyRotationDays, upstreamTokenKey };
}
