// The token response both grant types end in: an RFC 9068 access token for the grant, and its refresh token.
import type { Context } from "hono";
import type { IssuedGrant } from "../../durable/grant-state";
import type { AppEnv } from "../../http/app-env";
import { tokenIdentity } from "../../identity";
import { mintAccessToken } from "../../tokens/access-token";
import type { ClientRecord } from "../../db/clients";
import type { SecurityEvent } from "../../db/events";
import { accessTokenTtlFor } from "../../policy/client-policy";
import { accessTokenScopes } from "../../policy/scope";
import type { TokenResponse } from "./grant-type";

/**
 * Mints the access token for `grant`, living as long as `client`'s CLIENT_POLICIES entry says (else ACCESS_TOKEN_TTL),
 * and the event recording its issuance: the grant type stores it with the write that lets the token leave, so that a
 * token request writes nothing after its response. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export async function tokenResponse(c: Context<AppEnv>, grant: IssuedGrant, client: ClientRecord): Promise<{ response: TokenResponse; issued: SecurityEvent }> {
  const scope = accessTokenScopes(grant.scope).join(" ");
  const { user } = grant;
  const config = c.get("config");
  const ttl = accessTokenTtlFor(config.clientPolicies, client, config.accessTokenTtl);
  const { token, expiresIn } = await mintAccessToken(c.env, config, { ...tokenIdentity(user), clientId: grant.clientId, scope, grantId: grant.grantId, resource: grant.resource }, ttl);
  const response: TokenResponse = { access_token: token, token_type: "Bearer", expires_in: expiresIn, scope };
  if (grant.refreshToken) response.refresh_token = grant.refreshToken;
  return { response, issued: { type: "access_token.issued", grantId: grant.grantId, clientId: grant.clientId, userId: user.userId } };
}
