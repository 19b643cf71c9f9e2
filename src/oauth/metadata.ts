// Discovery: RFC 8414 authorization server metadata and RFC 9728 protected resource metadata for /mcp.
import { Hono } from "hono";
import type { Config } from "../config";
import type { AppEnv } from "../http/app-env";
import { oauthErrors } from "../http/respond";
import { JWT_BEARER_GRANT } from "../policy/id-jag";

/** Discovery changes only on redeploy; a short public cache spares repeated fetches by clients and proxies. */
const CACHE = { "Cache-Control": "public, max-age=300" } as const;

const CLIENT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"];

/**
 * The authorization server metadata document; `issuer` is exactly `PUBLIC_URL` (RFC 8414 §3.3).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export function authorizationServerMetadata(config: Config) {
  const issuer = config.issuer;
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    scopes_supported: [...config.scopes, "offline_access"],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    // RFC 7523 with ID-JAGs, once an enterprise IdP is trusted (MCP "Enterprise-Managed Authorization").
    grant_types_supported: config.trustedEnterpriseIdps.length > 0 ? ["authorization_code", "refresh_token", JWT_BEARER_GRANT] : ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    // RFC 7662 §2.1: introspection needs an authenticated caller, so a public client ("none") cannot use it.
    introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
    service_documentation: `${issuer}/`,
  };
}

/**
 * The protected resource metadata of the MCP endpoint; `resource` is exactly `PUBLIC_URL/mcp` (RFC 9728 §3.3).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export function protectedResourceMetadata(config: Config) {
  return {
    resource: config.mcpResource,
    authorization_servers: [config.issuer],
    scopes_supported: config.scopes,
    bearer_methods_supported: ["header"],
    resource_name: config.branding.serviceName,
  };
}

export const metadataRoutes = new Hono<AppEnv>();

/**
 * The AS metadata at the RFC 8414 §3 location, the OpenID Connect Discovery location (clients that only try
 * that one, e.g. the MCP SDK's second probe), and the §3.1 path-insertion locations for an issuer of
 * `PUBLIC_URL/mcp`: clients following the MCP 2025-03-26 revision treat the MCP URL as the authorization
 * server when they skip protected resource metadata, and older MCP SDKs probe those paths first.
 */
for (const path of [
  "/.well-known/oauth-authorization-server",
  "/.well-known/openid-configuration",
  "/.well-known/oauth-authorization-server/mcp",
  "/.well-known/openid-configuration/mcp",
]) {
  metadataRoutes.get(path, oauthErrors, (c) => c.json(authorizationServerMetadata(c.get("config")), 200, CACHE));
}

/** The PRM at the RFC 9728 §3.1 location for `/mcp`, and at the root for clients that probe it without a path. */
for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
  metadataRoutes.get(path, oauthErrors, (c) => c.json(protectedResourceMetadata(c.get("config")), 200, CACHE));
}
