// One JSON log line per request to a mount that applies `logRequests`: what happened (status, OAuth error code and
// the failed check), to whom (client, grant, internal user id), how long it took, and the correlation id an error
// page shows. Never a token, secret or email: ids come from the verified caller and the request's security events.
// Discovery, JWKS, the landing page and /healthz do not apply it: they carry no one's activity.
// By default only failures write it (REQUEST_LOG): Workers' own invocation log already records every request's
// method, URL, status and timing, so a line for a success would repeat it at the cost of a log event each.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { RequestLogMode } from "../config/operations";
import type { AppEnv } from "./app-env";

/** Whether a request writes its line: `failed` is a refusal (an OAuth error) or any 4xx/5xx answer. */
export function logsRequest(mode: RequestLogMode, failed: boolean): boolean {
  return mode === "all" || (mode === "failures" && failed);
}

export const logRequests = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const outcome = c.get("outcome");
  if (!logsRequest(c.get("config").requestLog, outcome !== undefined || c.res.status >= 400)) return;
  const caller = c.get("caller");
  const { clientId, grantId, userId } = caller ? { clientId: caller.clientId, grantId: caller.grantId, userId: caller.subject } : eventIds(c);
  console.log(
    JSON.stringify({
      event: outcome ? "request.failed" : "request.completed",
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      error: outcome?.error,
      reason: outcome?.reason,
      latency_ms: Date.now() - started,
      client_id: clientId,
      grant_id: grantId,
      user_id: userId,
      correlation_id: c.get("correlationId"),
    }),
  );
});

interface Ids {
  clientId?: string;
  grantId?: string;
  userId?: string;
}

/** Each id from the latest of the request's security events that names it (the caller, when verified, names all three). */
function eventIds(c: Context<AppEnv>): Ids {
  const ids: Ids = {};
  const events = c.get("trail")?.events ?? [];
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    if (!event) continue;
    ids.clientId ??= event.clientId;
    ids.grantId ??= event.grantId;
    ids.userId ??= event.userId;
  }
  return ids;
}
