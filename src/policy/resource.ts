// Resource indicator policy (RFC 8707): tokens are audience-bound to one of the resources Gatehouse protects —
// the built-in MCP endpoint and every gateway server (MCP_SERVERS).
import type { Config } from "../config";
import { parseUrl } from "../lib/url";

/** A protected resource: where it is served, its identifier, its name for people, and the scopes a token needs there. @see RFC 9728 §2 */
export interface ProtectedResource {
  path: string;
  resource: string;
  /** What the consent page and /account call it: the service's name for the built-in server, else the server's label. */
  label: string;
  /** Its RFC 9728 §3.1 metadata URL: the well-known prefix inserted before the path. */
  metadataUrl: string;
  scopes: string[];
}

/** The built-in `/mcp` resource, unless a gateway server takes `/mcp`. */
export function builtInResource(config: Config): ProtectedResource {
  return { path: "/mcp", resource: config.mcpResource, label: config.branding.serviceName, metadataUrl: metadataUrl(config, "/mcp"), scopes: config.defaultScopes };
}

/** Every protected resource; a gateway server at `/mcp` replaces the built-in one. */
export function protectedResources(config: Config): ProtectedResource[] {
  const servers = config.servers.map((s) => ({ path: s.path, resource: s.resource, label: s.label, metadataUrl: metadataUrl(config, s.path), scopes: s.scopes }));
  return servers.some((s) => s.path === "/mcp") ? servers : [builtInResource(config), ...servers];
}

/** The protected resource a (canonical) resource identifier names, if it is still configured. */
export function resourceNamed(config: Config, resource: string): ProtectedResource | undefined {
  return protectedResources(config).find((r) => r.resource === resource);
}

function metadataUrl(config: Config, path: string): string {
  return `${config.publicUrl}/.well-known/oauth-protected-resource${path}`;
}

/**
 * The resource a request's tokens are bound to: absent → the MCP resource; present → the protected resource whose
 * scheme, host (case-insensitively) and path it equals, whatever query it carries (ChatGPT appends one); else
 * `undefined` (the caller answers `invalid_target`). The audience is always the canonical resource.
 *
 * The issuer itself (with or without a trailing slash) names the one protected resource when the deployment has
 * exactly one: VS Code's agent host falls back to the authorization server's origin as `resource` (issue 19). With
 * several resources it stays ambiguous and is refused, so a token is never bound to a resource nobody chose.
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @see MCP authorization, "Resource Parameter Implementation"
 */
export function resolveResource(config: Config, requested: string | undefined): string | undefined {
  if (requested === undefined) return config.mcpResource;
  const resources = protectedResources(config).map((r) => r.resource);
  if (resources.includes(requested)) return requested;
  const url = parseUrl(requested);
  if (!url || url.hash !== "" || url.username !== "") return undefined;
  const issuer = new URL(config.issuer);
  const namesIssuer = url.protocol === issuer.protocol && url.host === issuer.host && url.pathname.replace(/\/$/, "") === issuer.pathname.replace(/\/$/, "") && url.search === "";
  if (namesIssuer && resources.length === 1) return resources[0];
  return resources.find((resource) => {
    const canonical = new URL(resource);
    return url.protocol === canonical.protocol && url.host === canonical.host && url.pathname === canonical.pathname;
  });
}

/** A presented `resource` at /token in its canonical form, or as sent when it is not a protected resource (the grant refuses it). */
export function presentedResource(config: Config, requested: string | undefined): string | undefined {
  return requested === undefined ? undefined : (resolveResource(config, requested) ?? requested);
}
