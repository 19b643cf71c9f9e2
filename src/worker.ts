// Entry point: the Hono app (fetch), the cron sweep (scheduled), and the Durable Object classes.
import { Hono } from "hono";
import { cors } from "hono/cors";
import { accountRoutes } from "./account/routes";
import { adminRoutes } from "./admin/routes";
import { loadConfig } from "./config";
import type { Env } from "./env";
import type { AppEnv } from "./http/app-env";
import { hostCheck } from "./http/host-check";
import { mcpRoutes } from "./mcp/route";
import { gatewayRoutes } from "./mcp/gateway/routes";
import { auditTrail } from "./http/audit";
import { authorizeRoutes } from "./oauth/authorize";
import { callbackRoutes } from "./oauth/callback";
import { OAuthError } from "./errors";
import { introspectRoutes } from "./oauth/introspect";
import { jwksRoutes } from "./oauth/jwks";
import { metadataRoutes } from "./oauth/metadata";
import { registerRoutes } from "./oauth/register";
import { revokeRoutes } from "./oauth/revoke";
import { tokenRoutes } from "./oauth/token";
import { requestLog } from "./http/request-log";
import { errorPage, onError } from "./http/respond";
import { sweep } from "./sweep";
import { landingRoutes } from "./landing";
import { devIdpApp, devIdpRoutes } from "./dev-idp/routes";
import { serveDevIdpInProcess } from "./upstream/transport";

export { Grant } from "./durable/grant";
export { KeyRing } from "./durable/key-ring";

/** Endpoints that need a complete configuration; discovery, JWKS, the landing page and /healthz never do. */
const FLOW_PATHS = /^\/(authorize|callback(\/[^/]+)?|token|register|revoke|introspect|mcp|dev-idp(\/.*)?)$/;

export const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  c.set("correlationId", crypto.randomUUID());
  c.set("config", loadConfig(c.env));
  await next();
});

app.use(hostCheck);
app.use(requestLog);
app.use(auditTrail);

app.use(async (c, next) => {
  const { problems } = c.var.config;
  if (problems.length === 0 || !FLOW_PATHS.test(c.req.path)) return next();
  const detail = problems.map((p) => `${p.variable} ${p.message}`).join("; ");
  const message = `Gatehouse is not configured: ${detail}.`;
  if (c.req.method === "GET" && /^\/(authorize|callback|dev-idp)/.test(c.req.path)) return errorPage(c, 503, "Sign-in is unavailable", message);
  throw new OAuthError("temporarily_unavailable", message, { reason: "configuration" });
});

// Browser-based clients read discovery and exchange tokens cross-origin (MCP authorization, CORS).
app.use("/.well-known/*", cors({ origin: "*", allowMethods: ["GET", "OPTIONS"] }));
for (const path of ["/token", "/register", "/revoke", "/introspect"]) {
  app.use(path, cors({ origin: "*", allowMethods: ["POST", "OPTIONS"], allowHeaders: ["Authorization", "Content-Type"] }));
}
app.use("/mcp", cors({ origin: "*", allowMethods: ["GET", "POST", "DELETE", "OPTIONS"], allowHeaders: ["Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version", "Last-Event-ID"], exposeHeaders: ["WWW-Authenticate", "Mcp-Session-Id"] }));

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
app.route("/", mcpRoutes);
app.route("/dev-idp", devIdpRoutes);
// Gatehouse cannot fetch itself from inside a Worker: federation reaches the development IdP in-process.
serveDevIdpInProcess(devIdpApp.fetch);
app.route("/admin/api", adminRoutes);
app.route("/account", accountRoutes);

app.notFound((c) => c.json({ error: "not_found", error_description: "no such endpoint" }, 404));
app.onError(onError);

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(sweep(env, loadConfig(env), controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
