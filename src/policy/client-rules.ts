// What a registered client may do at /token beyond the letter of its registration: the grant types it is served and
// the ways its secret may be presented. Pure rules, each with the real client that needs it.
import type { TrustedEnterpriseIdp } from "../config";
import type { ClientRecord, TokenEndpointAuthMethod } from "../db/clients";
import { JWT_BEARER_GRANT } from "./id-jag";

/**
 * The grant types a client is served. A self-registered client (DCR or metadata document) that may use
 * `authorization_code` may also refresh: Zed's registration lists only `authorization_code` and Goose discards an
 * access token that comes without a refresh token (issue 19). A refresh token is no more than the code already
 * gives — the same grant, rotated, revocable, bound to the same client — so nothing widens. The operator's static
 * clients get exactly what STATIC_CLIENTS says. A client a trusted enterprise IdP may assert for (`enterpriseIdps`,
 * TRUSTED_ENTERPRISE_IDPS) is also served the JWT-bearer grant: the operator listed it there.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1 (the server may replace requested metadata values)
 */
export function servedGrantTypes(client: Pick<ClientRecord, "kind" | "grantTypes" | "clientId">, enterpriseIdps: readonly Pick<TrustedEnterpriseIdp, "clients">[] = []): string[] {
  const implied = client.kind !== "static" && client.grantTypes.includes("authorization_code") && !client.grantTypes.includes("refresh_token");
  const types = implied ? [...client.grantTypes, "refresh_token"] : client.grantTypes;
  return enterpriseIdps.some((idp) => idp.clients.includes(client.clientId)) ? [...types, JWT_BEARER_GRANT] : types;
}

/**
 * Whether credentials presented by `presented` authenticate a client registered for `registered`. A confidential
 * client proves the same secret in the Authorization header or in the body: claude.ai always sends
 * `client_secret_post` for a pre-registered client, whatever it was registered with (issue 19), so the two secret
 * methods stand in for each other. A public client still presents no secret, and a confidential one still must.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function acceptsAuthMethod(registered: TokenEndpointAuthMethod, presented: TokenEndpointAuthMethod): boolean {
  if (registered === presented) return true;
  return registered !== "none" && presented !== "none";
}
