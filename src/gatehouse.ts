// createGatehouse(): Gatehouse as a Worker handler — the Hono app with its middleware and mounts (fetch) and the
// cron sweep (scheduled) — with /mcp answered by the built-in server and the deployer's tools, or their own handler.
import { Hono } from "hono";
import { accountRoutes } from "./account/routes";
import { consoleRoutes } from "./admin/console";
import { adminRoutes } from "./admin/routes";
import { loadConfig } from "./config";
import type { McpServerEntry } from "./config/servers";
import type { ConfigVars, Env } from "./env";
import type { AppEnv } from "./http/app-env";
import { hostCheck } from "./http/host-check";
import { gatewayRoutes } from "./mcp/gateway/routes";
import { mcpRoutes } from "./mcp/route";
import { type McpHandler, type RegisterTools, serveMcp } from "./mcp/server";
import { auditTrail } from "./http/audit";
import { authorizeRoutes } from "./oauth/authorize";
import { callbackRoutes } from "./oauth/callback";
import { introspectRoutes } from "./oauth/introspect";
import { jwksRoutes } from "./oauth/jwks";
import { metadataRoutes } from "./oauth/metadata";
import { registerRoutes } from "./oauth/register";
import { revokeRoutes } from "./oauth/revoke";
import { tokenRoutes } from "./oauth/token";
import { discoveryCors } from "./http/cors";
import { onError } from "./http/respond";
import { sweep } from "./sweep";
import { landingRoutes } from "./landing";
import { devIdpApp, devIdpRoutes } from "./dev-idp/routes";
import { serveDevIdpInProcess } from "./upstream/transport";
import { revokeAtProviders } from "./upstream/refresh";
import { refreshAheadRoutes } from "./mcp/refresh-ahead";

/** `/mcp` answered by the built-in MCP server: `whoami` (unless `whoami: false`) and the tools `tools` registers. */
export interface BuiltInServerOptions<E extends Env> {
  tools?: RegisterTools<E>;
  /** `false` leaves out the built-in `whoami` tool. Default `true`. */
  whoami?: boolean;
  mcp?: never;
}

/** `/mcp` answered by a handler of the deployer's own, behind the same authentication, rate limit and usage count. */
export interface OwnHandlerOptions<E extends Env> {
  mcp: McpHandler<E>;
  tools?: never;
  whoami?: never;
}

/** What `createGatehouse` takes: how `/mcp` answers, and configuration. */
export type GatehouseOptions<E extends Env = Env> = (BuiltInServerOptions<E> | OwnHandlerOptions<E>) & {
  /**
   * Configuration by the variable names of README "Configuration", over the Worker's own variables; checked by the
   * same rules, so a bad value is a configuration problem (503 at the flow endpoints) like a bad `[vars]` entry.
   * Secrets belong in `wrangler secret put`, not here.
   */
  vars?: ConfigVars;
  /**
   * The gateway's servers, the list `MCP_SERVERS` takes (README "Put Gatehouse in front of your MCP server"), read
   * by the same rules: a broken entry is a configuration problem naming `MCP_SERVERS`. It replaces the Worker's own
   * `MCP_SERVERS`; giving it together with `vars.MCP_SERVERS` is refused.
   */
  servers?: McpServerEntry[];
};

/** The Worker handler `createGatehouse` returns: `export default` it. */
export interface Gatehouse<E extends Env = Env> {
  fetch(request: Request, env: E, ctx: ExecutionContext): Promise<Response>;
  scheduled(controller: ScheduledController, env: E, ctx: ExecutionContext): Promise<void>;
}

/** Gatehouse as a Worker: the authorization server, `/mcp` and the cron sweep. */
export function createGatehouse<E extends Env = Env>(options: GatehouseOptions<E> = {}): Gatehouse<E> {
  if (options.mcp && (options.tools || options.whoami !== undefined)) throw new Error("createGatehouse: `mcp` replaces the built-in server, so it takes no `tools` or `whoami`");
  // The runtime hands every request this Worker's own env, which is E: the handlers may rely on their bindings.
  const mcp = (options.mcp ?? serveMcp({ tools: options.tools, whoami: options.whoami ?? true })) as McpHandler;
  if (options.servers && options.vars?.MCP_SERVERS !== undefined) throw new Error("createGatehouse: give the servers either as `servers` or as `vars.MCP_SERVERS`, not both");
  const withVars = configured(options.servers ? { ...options.vars, MCP_SERVERS: JSON.stringify(options.servers) } : options.vars);
  const app = new Hono<AppEnv>();

  // Every request: its correlation id and configuration, then the host check, which reads that configuration, in the
  // same step. Each mount below applies its own error format, configuration gate, request log and CORS.
  app.use((c, next) => {
    c.set("correlationId", crypto.randomUUID());
    c.set("config", loadConfig(c.env));
    c.set("revokeUpstream", (removed) => revokeAtProviders(c.env, c.get("config"), removed));
    return hostCheck(c, next);
  });
  app.use(auditTrail);
  // The whole discovery namespace, absent documents' 404s included, so a browser client's probes can read each answer.
  app.use("/.well-known/*", discoveryCors);

  // First: a gateway server may take /mcp (and its metadata) from the built-in one.
  app.route("/", gatewayRoutes);
  app.route("/", landingRoutes);
  app.route("/", metadataRoutes);
  app.route("/", jwksRoutes);
  app.route("/", registerRoutes);
  app.route("/", authorizeRoutes);
  app.route("/", callbackRoutes);
  app.route("/", tokenRoutes);
  app.route("/", revokeRoutes);
  app.route("/", introspectRoutes);
  app.route("/", mcpRoutes(mcp));
  app.route("/", refreshAheadRoutes);
  app.route("/dev-idp", devIdpRoutes);
  // Gatehouse cannot fetch itself from inside a Worker: federation reaches the development IdP in-process.
  serveDevIdpInProcess(devIdpApp.fetch);
  app.route("/admin/api", adminRoutes);
  app.route("/admin", consoleRoutes);
  app.route("/account", accountRoutes);

  app.notFound((c) => c.json({ error: "not_found", error_description: "no such endpoint" }, 404));
  // The mount's error format; a plain `server_error` with a correlation id where no mount set one.
  app.onError(onError);

  return {
    fetch: async (request, env, ctx) => app.fetch(request, withVars(env), ctx),
    async scheduled(controller, env, ctx) {
      const merged = withVars(env);
      ctx.waitUntil(sweep(merged, loadConfig(merged), controller.scheduledTime));
    },
  };
}

/**
 * The environment the app sees: `vars` over the Worker's own. One merged object per environment object, so
 * `loadConfig` still parses once per isolate.
 */
function configured<E extends Env>(vars: ConfigVars | undefined): (env: E) => E {
  if (!vars) return (env) => env;
  const merged = new WeakMap<E, E>();
  return (env) => {
    let withVars = merged.get(env);
    if (!withVars) {
      withVars = { ...env, ...vars };
      merged.set(env, withVars);
    }
    return withVars;
  };
}
