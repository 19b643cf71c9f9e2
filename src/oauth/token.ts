// POST /token: reads the form, authenticates the client, and dispatches to the module of its grant type.
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { NO_STORE } from "../respond";
import { authenticateClient } from "./client-auth";
import { OAuthError } from "./errors";
import { authorizationCodeGrant } from "./grants/authorization-code";
import type { GrantType } from "./grants/grant-type";
import { refreshTokenGrant } from "./grants/refresh-token";
import { readForm } from "./params";
import { limitOAuth } from "./rate-limit";

/** Every grant type served; a new one is a new module added here. */
const GRANT_TYPES: readonly GrantType[] = [authorizationCodeGrant, refreshTokenGrant];

export const tokenRoutes = new Hono<AppEnv>();

/**
 * The token endpoint: form bodies only, no repeated parameters, errors as RFC 6749 §5.2 JSON with `no-store`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13#section-3.2
 */
tokenRoutes.post("/token", async (c) => {
  const form = await readForm(c);
  if (!form.grant_type) throw new OAuthError("invalid_request", "missing parameter grant_type");
  const grantType = GRANT_TYPES.find((g) => g.grantType === form.grant_type);
  if (!grantType) throw new OAuthError("unsupported_grant_type", "grant_type is not supported", { reason: `grant_type ${form.grant_type.slice(0, 64)}` });
  const client = await authenticateClient(c, form);
  await limitOAuth(c, "RATE_LIMIT_TOKEN", client.clientId);
  if (!client.grantTypes.includes(grantType.grantType)) {
    throw new OAuthError("unauthorized_client", `the client is not registered for the ${grantType.grantType} grant`);
  }
  return c.json(await grantType.handle(c, form, client), 200, NO_STORE);
});
