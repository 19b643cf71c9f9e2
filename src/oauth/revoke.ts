// POST /revoke (RFC 7009): a client ends its own grant by presenting a refresh or access token of it.
import { Hono } from "hono";
import * as z from "zod";
import { grantStub } from "../durable/grant-stub";
import { parseHandle } from "../durable/handle";
import type { AppEnv } from "../http/app-env";
import { endpointCors } from "../http/cors";
import { logRequests } from "../http/request-log";
import { NO_STORE, oauthErrors } from "../http/respond";
import { requireConfig } from "../http/require-config";
import { protectedResources } from "../policy/resource";
import { verifyAccessToken } from "../tokens/access-token";
import { authenticateClient } from "./client-auth";
import { grantRevoked, revokeUpstreamLater } from "../http/grant-revoked";
import { vaultKey } from "../tokens/seal";
import { readForm } from "../http/params";
import { parseParams } from "../lib/params";
import { limitOAuth, sourceKey } from "../http/rate-limit";

const request = z.object({
  token: z.string().min(1).max(8192),
  token_type_hint: z.string().max(64).optional(),
});

export const revokeRoutes = new Hono<AppEnv>();

revokeRoutes.use("/revoke", oauthErrors, logRequests, requireConfig, endpointCors);

/**
 * Revoking either kind of token revokes the whole grant: a refresh token because RFC 7009 §2.1 asks that its
 * access tokens go with it, an access token because its grant is the only unit Gatehouse can end (access tokens
 * are self-contained JWTs). Unknown, foreign or already revoked tokens are answered 200 with no effect (§2.2), so
 * the endpoint tells a caller nothing about tokens that are not its own. `token_type_hint` is not needed: the
 * token's format says its type.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
revokeRoutes.post("/revoke", async (c) => {
  await limitOAuth(c, "RATE_LIMIT_SOURCE", () => sourceKey(c));
  const form = await readForm(c);
  const client = await authenticateClient(c, form);
  const { token } = parseParams(request, form);
  const refresh = parseHandle("refresh", token);
  if (refresh) {
    const result = await grantStub(c.env, refresh.grantId)?.revokeRefresh(refresh.secret, client.clientId, { key: await vaultKey(c.env, c.get("config")) });
    if (result?.ok) revokeUpstreamLater(c, result.upstream);
    if (result?.ok && result.wasLive) grantRevoked(c, refresh.grantId, client.clientId, "refresh token revoked by the client");
    return c.body(null, 200, NO_STORE);
  }
  const access = await verifyAccessToken(c.env, c.get("config"), token, protectedResources(c.get("config")).map((r) => r.resource));
  if (access.ok && access.claims.clientId === client.clientId) {
    const result = await grantStub(c.env, access.claims.grantId)?.revoke("access token revoked by the client", { key: await vaultKey(c.env, c.get("config")) });
    if (result?.ok) revokeUpstreamLater(c, result.upstream);
    if (result?.ok && result.wasLive) grantRevoked(c, access.claims.grantId, client.clientId, "access token revoked by the client");
  }
  return c.body(null, 200, NO_STORE);
});
