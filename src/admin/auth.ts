// Admin API authentication: `Authorization: Bearer <ADMIN_TOKEN>`; without ADMIN_TOKEN the API does not exist.
import { createMiddleware } from "hono/factory";
import { secretsEqual } from "../crypto";
import type { AppEnv } from "../http/app-env";
import { OAuthError } from "../errors";

/**
 * Answers 404 for every path when ADMIN_TOKEN is unset (the API is off, and says nothing of itself), and 401
 * `invalid_token` with a `Bearer realm="admin"` challenge for a missing or wrong token — with `error` only when a
 * token was sent, as RFC 6750 §3.1 asks.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const adminToken = c.get("config").adminToken;
  if (!adminToken) return c.json({ error: "not_found", error_description: "no such endpoint" }, 404);
  const bearer = /^Bearer +(\S+) *$/i.exec(c.req.header("Authorization") ?? "")?.[1];
  if (bearer === undefined) {
    throw new OAuthError("invalid_token", "admin authentication required", { reason: "no admin bearer token", headers: { "WWW-Authenticate": 'Bearer realm="admin"' } });
  }
  if (!(await secretsEqual(bearer, adminToken))) {
    throw new OAuthError("invalid_token", "admin authentication failed", {
      reason: "wrong admin token",
      headers: { "WWW-Authenticate": 'Bearer realm="admin", error="invalid_token"' },
    });
  }
  await next();
});
