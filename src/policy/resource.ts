// Resource indicator policy (RFC 8707): tokens are audience-bound to the one MCP resource Gatehouse protects.
import type { Config } from "../config";
import { parseUrl } from "../lib/url";

/**
 * The resource a request's tokens are bound to: absent → the MCP resource; present → the MCP resource when its
 * scheme, host (case-insensitively) and path equal `PUBLIC_URL/mcp`, whatever query it carries (ChatGPT appends
 * one); else `undefined` (the caller answers `invalid_target`). The audience is always the canonical resource.
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @see MCP authorization, "Resource Parameter Implementation"
 */
export function resolveResource(config: Config, requested: string | undefined): string | undefined {
  if (requested === undefined || requested === config.mcpResource) return config.mcpResource;
  const url = parseUrl(requested);
  if (!url) return undefined;
  const canonical = new URL(config.mcpResource);
  const same = url.protocol === canonical.protocol && url.host === canonical.host && url.pathname === canonical.pathname && url.hash === "" && url.username === "";
  return same ? config.mcpResource : undefined;
}

/** A presented `resource` at /token in its canonical form, or as sent when it is not the MCP resource (the grant refuses it). */
export function presentedResource(config: Config, requested: string | undefined): string | undefined {
  return requested === undefined ? undefined : (resolveResource(config, requested) ?? requested);
}
