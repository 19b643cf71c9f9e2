// /mcp: MCP streamable HTTP behind bearer authentication; stateless, one JSON response per POST.
// @see MCP specification, basic/transports (Streamable HTTP)
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../http/app-env";
import { toAuthInfo } from "./auth-info";
import { bearerAuth, bearerToken } from "./bearer";
import { mcpTooManyRequests, sourceKey, withinLimit } from "../http/rate-limit";
import { logRequests } from "../http/request-log";
import { mcpErrors } from "../http/respond";
import { requireConfig } from "../http/require-config";
import { createMcpServer } from "./server";
import { countRequest } from "./usage";

/** Largest JSON-RPC body read; the transport answers 413 above it. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Browser-based MCP clients call /mcp cross-origin and read its challenges and session header. */
const mcpCors = cors({
  origin: "*",
  allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
  allowHeaders: ["Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version", "Last-Event-ID"],
  exposeHeaders: ["WWW-Authenticate", "Mcp-Session-Id"],
});

/** POST /mcp (JSON-RPC over streamable HTTP) behind `bearerAuth`; GET and DELETE answer 405. */
export const mcpRoutes = new Hono<AppEnv>();

mcpRoutes.use("/mcp", mcpErrors, logRequests, requireConfig, mcpCors, bearerAuth);
// Per grant, after authentication; anonymous callers (REQUIRE_AUTH=false) by address.
mcpRoutes.use("/mcp", async (c, next) => {
  const key = c.var.caller ? `grant:${c.var.caller.grantId}` : `ip:${sourceKey(c)}`;
  if (!(await withinLimit(c, "RATE_LIMIT_MCP", key))) return mcpTooManyRequests(c);
  if (c.var.caller) countRequest(c, c.var.caller);
  await next();
});

mcpRoutes.post("/mcp", async (c) => {
  const caller = c.var.caller;
  const token = bearerToken(c.req.header("Authorization"));
  const authInfo = caller && token ? toAuthInfo(c.var.config, token, caller) : undefined;
  const server = createMcpServer(c.var.config);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: MAX_BODY_BYTES });
  await server.connect(transport);
  try {
    return await transport.handleRequest(c.req.raw, { authInfo });
  } finally {
    await server.close();
  }
});

// No server-initiated stream and no sessions: the transport spec allows 405 for GET, and DELETE has nothing to end.
mcpRoutes.on(["GET", "DELETE"], "/mcp", (c) =>
  c.json({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed." }, id: null }, 405, { Allow: "POST" }),
);
