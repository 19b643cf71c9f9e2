// The gateway's mount: every MCP_SERVERS entry at its path, behind bearer authentication for its own resource, and
// its RFC 9728 protected resource metadata. Paths come from the configuration, so one middleware dispatches them.
// @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1; DESIGN.md "Gateway"
import { type Context, Hono } from "hono";
import { mcpCors } from "../../http/cors";
import type { Config } from "../../config";
import type { McpServer } from "../../config/servers";
import { OAuthError } from "../../errors";
import type { AppEnv } from "../../http/app-env";
import type { Caller } from "../../identity";
import { mcpTooManyRequests, withinLimit } from "../../http/rate-limit";
import { logRequests } from "../../http/request-log";
import { bearerChallenge, mcpErrors, noteFailure, onError } from "../../http/respond";
import { type ProtectedResource, protectedResources } from "../../policy/resource";
import { verifyBearer } from "../bearer";
import { guarded } from "./guard";

const METADATA_PREFIX = "/.well-known/oauth-protected-resource";
/** Discovery changes only on redeploy. */
const CACHE = { "Cache-Control": "public, max-age=300" } as const;

/** A server's protected resource metadata: Gatehouse is its authorization server. @see RFC 9728 §2 */
function serverMetadata(config: Config, server: McpServer) {
  return {
    resource: server.resource,
    authorization_servers: [config.issuer],
    scopes_supported: [...new Set([...server.scopes, ...Object.values(server.tools.scopes)])],
    bearer_methods_supported: ["header"],
    resource_name: server.label,
  };
}

export const gatewayRoutes = new Hono<AppEnv>();

gatewayRoutes.use("*", async (c, next) => {
  const { servers } = c.get("config");
  const path = c.req.path;
  if (path === METADATA_PREFIX || path.startsWith(`${METADATA_PREFIX}/`)) {
    // The root document stays /mcp's: a server there answers it too.
    const served = path.slice(METADATA_PREFIX.length) || "/mcp";
    const server = servers.find((s) => s.path === served);
    if (!server || c.req.method !== "GET") return next();
    return c.json(serverMetadata(c.get("config"), server), 200, CACHE);
  }
  const server = servers.find((s) => s.path === path);
  if (!server) return next();
  // Dispatched here rather than routed, so the mount's format and request log are applied the same way.
  await mcpErrors(c, async () => {
    await logRequests(c, async () => {
      const preflight = await mcpCors(c, async () => {
        try {
          c.res = await serve(c, server);
        } catch (err) {
          // Rendered here, inside the log, so a crash (a KeyRing outage minting the assertion) is a logged line too.
          c.res = await onError(err instanceof Error ? err : new Error(String(err)), c);
        }
      });
      if (preflight) c.res = preflight;
    });
  });
  return c.res;
});

/** Each configuration's protected resources by path: the configuration is parsed once per isolate, so are these. */
const resourcesByPath = new WeakMap<Config, Map<string, ProtectedResource>>();

function resourceAt(config: Config, path: string): ProtectedResource {
  let byPath = resourcesByPath.get(config);
  if (!byPath) {
    byPath = new Map(protectedResources(config).map((r) => [r.path, r]));
    resourcesByPath.set(config, byPath);
  }
  const target = byPath.get(path);
  if (!target) throw new Error(`no protected resource for ${path}`);
  return target;
}

/** Authenticates for the server's resource, then proxies; errors are challenges (RFC 6750 §3) or JSON-RPC. */
async function serve(c: Context<AppEnv>, server: McpServer): Promise<Response> {
  const config = c.get("config");
  if (config.problems.length > 0) {
    noteFailure(c, "temporarily_unavailable", "configuration");
    return c.json({ jsonrpc: "2.0", error: { code: -32000, message: "Gatehouse is not configured: see its log." }, id: null }, 503);
  }
  const target = resourceAt(config, server.path);
  let caller: Caller | undefined;
  try {
    caller = await verifyBearer(c, target);
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    noteFailure(c, err.code, err.reason);
    return c.json(err.toJSON(), err.status as 401, { ...err.headers, "WWW-Authenticate": bearerChallenge(c, err, target) });
  }
  // The origin needs someone to assert: REQUIRE_AUTH=false never lets anonymous requests through the gateway.
  if (!caller) {
    noteFailure(c, "no_token", "no bearer token");
    return c.body(null, 401, { "WWW-Authenticate": bearerChallenge(c, undefined, target) });
  }
  c.set("caller", caller);
  if (!(await withinLimit(c, "RATE_LIMIT_MCP", () => `grant:${caller.grantId}`))) return mcpTooManyRequests(c);
  return guarded(c, server, caller, target);
}
