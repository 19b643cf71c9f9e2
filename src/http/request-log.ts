// One JSON log line per request to an endpoint that matters: what happened (status, OAuth error code and the
// failed check), to whom (client, grant, internal user id), how long it took, and the correlation id an error page
// shows. Never a token, secret or email: ids come from the verified caller and the request's security events.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app-env";

/** Discovery, JWKS, the landing page and /healthz are left out: they carry no one's activity. */
const LOGGED_PATHS = /^\/(authorize|callback|token|register|revoke|introspect|mcp|account(\/revoke|\/sign-out)?|admin\/api\/.*|dev-idp\/(authorize|token))$/;

export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  if (!LOGGED_PATHS.test(c.req.path)) return;
  const caller = c.var.caller;
  const tagged = [...(c.var.events ?? [])].reverse();
  const pick = (key: "clientId" | "grantId" | "userId") => tagged.find((e) => e[key] !== undefined)?.[key];
  const outcome = c.var.outcome;
  console.log(
    JSON.stringify({
      event: outcome ? "request.failed" : "request.completed",
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      error: outcome?.error,
      reason: outcome?.reason,
      latency_ms: Date.now() - started,
      client_id: caller?.clientId ?? pick("clientId"),
      grant_id: caller?.grantId ?? pick("grantId"),
      user_id: caller?.subject ?? pick("userId"),
      correlation_id: c.var.correlationId,
    }),
  );
});
