// POST /introspect (RFC 7662): for resource servers deployed apart from Gatehouse, authenticated by ADMIN_TOKEN or
// as a STATIC_CLIENTS entry marked `"introspection": true`. Live access and refresh tokens are described; everything
// else is `{"active": false}`.
import { type Context, Hono } from "hono";
import * as z from "zod";
import { secretsEqual } from "../crypto";
import { grantStub } from "../durable/grant-stub";
import { parseHandle } from "../durable/handle";
import type { AppEnv } from "../http/app-env";
import { endpointCors } from "../http/cors";
import { logRequests } from "../http/request-log";
import { NO_STORE, oauthErrors } from "../http/respond";
import { requireConfig } from "../http/require-config";
import { protectedResources } from "../policy/resource";
import { identityClaims } from "../identity";
import { verifyAccessToken } from "../tokens/access-token";
import { authenticateClient } from "./client-auth";
import { OAuthError } from "../errors";
import { readForm } from "../http/params";
import { parseParams } from "../lib/params";
import { limitOAuth, sourceKey } from "../http/rate-limit";

const request = z.object({
  token: z.string().min(1).max(8192),
  token_type_hint: z.string().max(64).optional(),
});

type Introspection = { active: false } | ({ active: true } & Record<string, string | number | boolean | undefined>);

export const introspectRoutes = new Hono<AppEnv>();

introspectRoutes.use("/introspect", oauthErrors, logRequests, requireConfig, endpointCors);

/** @see https://www.rfc-editor.org/rfc/rfc7662#section-2 */
introspectRoutes.post("/introspect", async (c) => {
  await limitOAuth(c, "RATE_LIMIT_SOURCE", () => sourceKey(c));
  const form = await readForm(c);
  await authenticateCaller(c, form);
  const { token } = parseParams(request, form);
  return c.json(await introspect(c, token), 200, NO_STORE);
});

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, or the credentials of a static client the operator declared a resource
 * server; else 401. Anyone can register a confidential client, and the answer names the token's user, so
 * self-registered clients may not ask (RFC 7662 §4: the server decides which callers may learn what).
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 */
async function authenticateCaller(c: Context<AppEnv>, form: Record<string, string>): Promise<void> {
  const authorization = c.req.header("Authorization") ?? "";
  const bearer = /^Bearer +(\S+) *$/i.exec(authorization);
  if (bearer) {
    const adminToken = c.get("config").adminToken;
    if (adminToken && (await secretsEqual(bearer[1] ?? "", adminToken))) return;
    throw new OAuthError("invalid_client", "caller authentication failed", { reason: adminToken ? "wrong admin token" : "no ADMIN_TOKEN configured" });
  }
  const client = await authenticateClient(c, form);
  const declared = client.kind === "static" && c.get("config").staticClients.find((s) => s.clientId === client.clientId);
  if (!declared || !declared.introspection) {
    throw new OAuthError("invalid_client", "introspection is allowed only to resource servers declared by the operator", { reason: `${client.kind} client without introspection at /introspect` });
  }
}

async function introspect(c: Context<AppEnv>, token: string): Promise<Introspection> {
  const config = c.get("config");
  const refresh = parseHandle("refresh", token);
  if (refresh) {
    const result = await grantStub(c.env, refresh.grantId)?.inspectRefresh(refresh.secret);
    if (!result?.ok) return { active: false };
    const { token: info } = result;
    return {
      active: true,
      token_type: "refresh_token",
      client_id: info.clientId,
      scope: info.scope,
      sub: info.user.userId,
      iss: config.issuer,
      aud: info.resource,
      iat: Math.floor(info.issuedAt / 1000),
      exp: Math.floor(info.expiresAt / 1000),
      sid: info.grantId,
    };
  }
  const access = await verifyAccessToken(c.env, config, token, protectedResources(config).map((r) => r.resource));
  if (!access.ok) return { active: false };
  const claims = access.claims;
  // Always the grant itself, never the isolate's cache: a resource server asks so that revocation is exact.
  if (!(await grantStub(c.env, claims.grantId)?.checkLive())) return { active: false };
  return {
    active: true,
    token_type: "Bearer",
    client_id: claims.clientId,
    scope: claims.scope,
    sub: claims.subject,
    iss: config.issuer,
    aud: claims.resource,
    iat: claims.issuedAt,
    exp: claims.expiresAt,
    jti: claims.jti,
    sid: claims.grantId,
    ...identityClaims(claims),
  };
}
