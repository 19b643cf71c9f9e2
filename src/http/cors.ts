// Browser-based clients read discovery and exchange tokens cross-origin (MCP authorization, CORS).
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/** Discovery documents and JWKS. */
export const discoveryCors = cors({ origin: "*", allowMethods: ["GET", "OPTIONS"] });

/** The token, registration, revocation and introspection endpoints. */
export const endpointCors = cors({ origin: "*", allowMethods: ["POST", "OPTIONS"], allowHeaders: ["Authorization", "Content-Type"] });

const MCP_CORS = {
  origin: "*",
  allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
  allowHeaders: ["Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version", "Mcp-Method", "Mcp-Name", "Last-Event-ID"],
  exposeHeaders: ["WWW-Authenticate", "Mcp-Session-Id"],
};
const staticMcpCors = cors(MCP_CORS);

/**
 * MCP endpoints (/mcp and the gateway's servers): their challenges and session header readable, SEP-2243's headers
 * allowed — including the `Mcp-Param-<Name>` headers a client derives from a tool's arguments, whose names only the
 * preflight can tell.
 */
export const mcpCors: MiddlewareHandler = (c, next) => {
  const params = (c.req.header("Access-Control-Request-Headers") ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => /^mcp-param-[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name));
  if (c.req.method !== "OPTIONS" || params.length === 0) return staticMcpCors(c, next);
  return cors({ ...MCP_CORS, allowHeaders: [...MCP_CORS.allowHeaders, ...params] })(c, next);
};
