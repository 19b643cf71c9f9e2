// POST /token: reads the form, authenticates the client, and dispatches to the module of its grant type.
import { type Context, Hono } from "hono";
import type { ClientRecord } from "../db/clients";
import { grantStub } from "../durable/grant-stub";
import type { AppEnv } from "../http/app-env";
import { endpointCors } from "../http/cors";
import { logRequests } from "../http/request-log";
import { NO_STORE, oauthErrors } from "../http/respond";
import { requireConfig } from "../http/require-config";
import { authenticateClient } from "./client-auth";
import { OAuthError } from "../errors";
import { authorizationCodeGrant } from "./grants/authorization-code";
import type { GrantType } from "./grants/grant-type";
import { jwtBearerGrant } from "./grants/jwt-bearer";
import { refreshTokenGrant } from "./grants/refresh-token";
import { readForm } from "../http/params";
import { limitOAuth, sourceKey } from "../http/rate-limit";
import { servedGrantTypes } from "../policy/client-rules";

/** Every grant type served; a new one is a new module added here. */
const GRANT_TYPES: readonly GrantType[] = [authorizationCodeGrant, refreshTokenGrant, jwtBearerGrant];

export const tokenRoutes = new Hono<AppEnv>();

tokenRoutes.use("/token", oauthErrors, logRequests, requireConfig, endpointCors);

/**
 * The token endpoint: form bodies only, no repeated parameters, errors as RFC 6749 §5.2 JSON with `no-store`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13#section-3.2
 */
tokenRoutes.post("/token", async (c) => {
  await limitOAuth(c, "RATE_LIMIT_SOURCE", () => sourceKey(c));
  const form = await readForm(c);
  if (!form.grant_type) throw new OAuthError("invalid_request", "missing parameter grant_type");
  const grantType = GRANT_TYPES.find((g) => g.grantType === form.grant_type);
  if (!grantType) throw new OAuthError("unsupported_grant_type", "grant_type is not supported", { reason: `grant_type ${form.grant_type.slice(0, 64)}` });
  const client = await authenticateClient(c, form);
  await limitOAuth(c, "RATE_LIMIT_TOKEN", () => tokenBudget(c, grantType, form, client));
  if (!servedGrantTypes(client, c.get("config").trustedEnterpriseIdps).includes(grantType.grantType)) {
    throw new OAuthError("unauthorized_client", `the client is not registered for the ${grantType.grantType} grant`);
  }
  const tokens = await grantType.handle(c, form, client);
  return c.json(tokens, 200, NO_STORE);
});

/**
 * Whose budget a token request spends. A confidential client proved who it is: its own. A public client proves
 * nothing and its id is public (Claude Code's is the same for everyone), so its requests spend the budget of the
 * grant their code or refresh token names; a credential that does not parse, or names no grant this server issued,
 * spends its source's budget, so junk cannot lock legitimate users out of refresh.
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14
 */
function tokenBudget(c: Context<AppEnv>, grantType: GrantType, form: Record<string, string>, client: ClientRecord): string {
  if (client.tokenEndpointAuthMethod !== "none") return `client:${client.clientId}`;
  const grantId = grantType.presentedGrant(form);
  return grantId !== undefined && grantStub(c.env, grantId) ? `grant:${grantId}` : `source:${sourceKey(c)}`;
}
