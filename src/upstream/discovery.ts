// Upstream authorization server metadata: OpenID Connect discovery from the issuer, cached per isolate with a
// TTL, explicit endpoints overriding it; `oauth2` and `github` providers are described by their endpoints alone.
import * as oauth from "oauth4webapi";
import type { Config, UpstreamProvider } from "../config";
import type { Env } from "../env";
import { upstreamHttp } from "./transport";

/** How long discovered metadata is reused; failures are never cached. */
export const DISCOVERY_TTL_MS = 10 * 60_000;

const cache = new Map<string, { metadata: Promise<oauth.AuthorizationServer>; expiresAt: number }>();

/**
 * The provider's metadata. The built-in IdP is read fresh each time (in-process, and its keys live in storage
 * that tests reset), which also gives oauth4webapi — whose JWKS cache is keyed by this object — fresh keys.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
export function authorizationServer(env: Env, config: Config, provider: UpstreamProvider): Promise<oauth.AuthorizationServer> {
  if (provider.type !== "oidc") return Promise.resolve(withOverrides({ issuer: provider.issuer }, provider));
  if (provider.builtIn) return discover(env, config, provider);
  const key = `${provider.name}\n${provider.issuer}`;
  const hit = cache.get(key);
  if (hit && hit.expiresAt > Date.now()) return hit.metadata;
  const metadata = discover(env, config, provider);
  cache.set(key, { metadata, expiresAt: Date.now() + DISCOVERY_TTL_MS });
  metadata.catch(() => {
    if (cache.get(key)?.metadata === metadata) cache.delete(key);
  });
  return metadata;
}

async function discover(env: Env, config: Config, provider: UpstreamProvider): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(provider.issuer);
  const response = await oauth.discoveryRequest(issuer, { ...upstreamHttp(env, config, provider), algorithm: "oidc" });
  return withOverrides(await oauth.processDiscoveryResponse(issuer, response), provider);
}

function withOverrides(metadata: oauth.AuthorizationServer, provider: UpstreamProvider): oauth.AuthorizationServer {
  return {
    ...metadata,
    ...(provider.authorizationEndpoint && { authorization_endpoint: provider.authorizationEndpoint }),
    ...(provider.tokenEndpoint && { token_endpoint: provider.tokenEndpoint }),
    ...(provider.userinfoEndpoint && { userinfo_endpoint: provider.userinfoEndpoint }),
  };
}
