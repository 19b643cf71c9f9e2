// Resource indicator policy (RFC 8707): tokens are audience-bound to the one MCP resource Gatehouse protects.
import type { Config } from "../config";

/**
 * The resource a request's tokens are bound to: absent → the MCP resource; present → it must be exactly the MCP
 * resource (`PUBLIC_URL/mcp`), else `undefined` (the caller answers `invalid_target`).
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @see MCP authorization, "Resource Parameter Implementation"
 */
export function resolveResource(config: Config, requested: string | undefined): string | undefined {
  if (requested === undefined) return config.mcpResource;
  return requested === config.mcpResource ? requested : undefined;
}
