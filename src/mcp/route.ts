// /mcp: bearer authentication, a rate limit per grant and the usage count, in front of the MCP handler (the built-in
// server of src/mcp/server.ts, or the deployer's own).
import { Hono } from "hono";
import { mcpCors } from "../http/cors";
import type { AppEnv } from "../http/app-env";
import { bearerAuth } from "./bearer";
import { mcpTooManyRequests, sourceKey, withinLimit } from "../http/rate-limit";
import { logRequests } from "../http/request-log";
import { mcpErrors } from "../http/respond";
import { requireConfig } from "../http/require-config";
import type { McpHandler } from "./server";
import { countUse, requestedTools } from "./usage";
import { linkedProvidersOf, upstreamTokenFor } from "./upstream-token";

/** `/mcp` behind `bearerAuth`; the streamable HTTP methods (GET, POST, DELETE) go to `handler` with the verified caller. */
export function mcpRoutes(handler: McpHandler): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.use("/mcp", mcpErrors, logRequests, requireConfig, mcpCors, bearerAuth);
  // Per grant, after authentication; anonymous callers (REQUIRE_AUTH=false) by address.
  routes.use("/mcp", async (c, next) => {
    const caller = c.get("caller");
    if (!(await withinLimit(c, "RATE_LIMIT_MCP", () => (caller ? `grant:${caller.grantId}` : `ip:${sourceKey(c)}`)))) return mcpTooManyRequests(c);
    if (caller) countUse(c, caller, { server: "/mcp", tools: await requestedTools(c.req.raw) });
    await next();
  });

  // Hono types the execution context narrowly; it is the one the runtime handed to `fetch`.
  routes.on(["GET", "POST", "DELETE"], "/mcp", (c) => {
    const caller = c.get("caller");
    return handler(c.req.raw, {
      caller,
      env: c.env,
      ctx: c.executionCtx as ExecutionContext,
      upstreamToken: (provider) => upstreamTokenFor(c, caller, provider),
      linkedProviders: () => linkedProvidersOf(c, caller),
    });
  });
  return routes;
}
