// Entry point: the Hono app (fetch), the cron sweep (scheduled), and the Durable Object classes.
import { Hono } from "hono";
import { accountRoutes } from "./account/routes";
import { adminRoutes } from "./admin/routes";
import { loadConfig } from "./config";
import type { Env } from "./env";
import type { AppEnv } from "./http/app-env";
import { hostCheck } from "./http/host-check";
import { mcpRoutes } from "./mcp/route";
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

export { Grant } from "./durable/grant";
export { KeyRing } from "./durable/key-ring";

export const app = new Hono<AppEnv>();

// Every request: its correlation id and configuration, then the host check, which reads that configuration, in the
// same step. Each mount below applies its own error format, configuration gate, request log and CORS.
app.use((c, next) => {
  c.set("correlationId", crypto.randomUUID());
  c.set("config", loadConfig(c.env));
  return hostCheck(c, next);
});
app.use(auditTrail);
// The whole discovery namespace, absent documents' 404s included, so a browser client's probes can read each answer.
app.use("/.well-known/*", discoveryCors);

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
// The mount's error format; a plain `server_error` with a correlation id where no mount set one.
app.onError(onError);

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(sweep(env, loadConfig(env), controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
