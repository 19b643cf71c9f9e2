// Browser-based clients read discovery and exchange tokens cross-origin (MCP authorization, CORS).
import { cors } from "hono/cors";

/** Discovery documents and JWKS. */
export const discoveryCors = cors({ origin: "*", allowMethods: ["GET", "OPTIONS"] });

/** The token, registration, revocation and introspection endpoints. */
export const endpointCors = cors({ origin: "*", allowMethods: ["POST", "OPTIONS"], allowHeaders: ["Authorization", "Content-Type"] });

/** MCP endpoints (/mcp and the gateway's servers): their challenges and session header readable, SEP-2243's headers allowed. */
export const mcpCors = cors({
  origin: "*",
  allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
  allowHeaders: ["Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version", "Mcp-Method", "Mcp-Name", "Last-Event-ID"],
  exposeHeaders: ["WWW-Authenticate", "Mcp-Session-Id"],
});
