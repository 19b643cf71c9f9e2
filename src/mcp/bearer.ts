// Bearer authentication for /mcp: the access token only from the Authorization header, verified locally; the
// verified caller goes to `c.get("caller")`. Failures become RFC 6750 challenges in the /mcp mount's error format
// (`mcpErrors`, src/http/respond.ts).
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app-env";
import type { Caller } from "../identity";
import { OAuthError } from "../errors";
import { bearerChallenge, noteFailure } from "../http/respond";
import { type AccessTokenClaims, verifyAccessToken } from "../tokens/access-token";
import { isGrantLive } from "../tokens/liveness";
import { builtInResource, type ProtectedResource } from "../policy/resource";

/** `Authorization: Bearer <b64token>`; the scheme is case-insensitive. @see RFC 6750 §2.1, RFC 9110 §11.1 */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token in `Authorization: Bearer …`; `undefined` when another scheme or none is used, `""` when malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || !/^Bearer(\s|$)/i.test(header)) return undefined;
  return BEARER.exec(header)?.[1] ?? "";
}

/**
 * Requires a valid access token for the built-in /mcp resource carrying every default scope. Tokens in the query
 * string or a form body are never read (RFC 9700 §2.2.1 / MCP authorization: header only). With REQUIRE_AUTH=false
 * a request without a token passes anonymously, but a token that is sent must still be valid.
 * @see RFC 6750 §3.1
 */
export const bearerAuth = createMiddleware<AppEnv>(async (c, next) => {
  const caller = await verifyBearer(c, builtInResource(c.get("config")));
  if (caller === undefined) {
    if (!c.get("config").requireAuth) return next();
    // No credentials: a challenge without an error code (RFC 6750 §3.1).
    noteFailure(c, "no_token", "no bearer token");
    return c.body(null, 401, { "WWW-Authenticate": bearerChallenge(c) });
  }
  c.set("caller", caller);
  await next();
});

/**
 * The caller whose access token in the Authorization header is valid for `target` (audience, live grant, the
 * target's scopes); `undefined` when no Bearer token was sent. Throws `invalid_token` or `insufficient_scope`.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export async function verifyBearer(c: Context<AppEnv>, target: ProtectedResource): Promise<Caller | undefined> {
  const config = c.get("config");
  const token = bearerToken(c.req.header("Authorization"));
  if (token === undefined) return undefined;
  if (token === "") throw new OAuthError("invalid_token", "the Authorization header is not a valid Bearer credential", { reason: "malformed_header" });
  const result = await verifyAccessToken(c.env, config, token, target.resource);
  if (!result.ok) throw new OAuthError("invalid_token", "the access token is invalid or expired", { reason: result.reason });
  const caller = toCaller(result.claims);
  if (!(await isGrantLive(c.env, caller.grantId, config.livenessCacheTtl))) throw new OAuthError("invalid_token", "the access token has been revoked", { reason: "grant_not_live" });
  const missing = target.scopes.filter((scope) => !caller.scopes.includes(scope));
  if (missing.length > 0) throw new OAuthError("insufficient_scope", `the access token lacks the scope ${missing.join(" ")}`, { reason: "scope" });
  return caller;
}

/** The caller a verified token names: its person, client, scopes and grant. */
function toCaller({ scope, resource: _resource, jti: _jti, issuedAt: _issuedAt, expiresAt: _expiresAt, ...named }: AccessTokenClaims): Caller {
  return { ...named, scopes: scope.split(" ").filter(Boolean) };
}
