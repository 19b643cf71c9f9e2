// Maps every thrown error to the wire format of the endpoint it came from — the one place that does so.
import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./app-env";
import { OAuthError, PageError } from "../errors";
import { builtInResource, type ProtectedResource } from "../policy/resource";
import { ErrorPage } from "../ui/error-page";

/** Routes whose errors a person sees in a browser. */
const PAGE_PATHS = /^\/(authorize|callback(\/[^/]+)?|account|dev-idp\/authorize)?$/;

/** Headers for every response that carries or could carry a credential (RFC 6749 §5.1). */
export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

/** Renders an HTML error page with the request's correlation id. */
export function errorPage(c: Context<AppEnv>, status: number, title: string, message: string, returnTo?: PageError["returnTo"]): Response | Promise<Response> {
  const html = ErrorPage({ config: c.var.config, title, message, correlationId: c.var.correlationId, returnTo });
  return c.html(html, status as 400, NO_STORE);
}

/** The `WWW-Authenticate` challenge of RFC 6750 §3 with RFC 9728 §5.1's `resource_metadata`, for `target` (default: /mcp). */
export function bearerChallenge(c: Context<AppEnv>, error?: OAuthError, target: ProtectedResource = builtInResource(c.var.config)): string {
  const parts = [`resource_metadata="${target.metadataUrl}"`, `scope="${target.scopes.join(" ")}"`];
  if (error) parts.push(`error="${error.code}"`, `error_description="${error.description.replace(/["\\]/g, "")}"`);
  return `Bearer ${parts.join(", ")}`;
}

/** Notes the failure for the request's one log line (src/http/request-log.ts). */
export function noteFailure(c: Context<AppEnv>, code: string, reason: string | undefined): void {
  c.set("outcome", { error: code, reason });
}

/** `app.onError`: protocol errors in the endpoint's format; anything else a generic `server_error` with a correlation id. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const path = c.req.path;
  if (err instanceof PageError) {
    noteFailure(c, "page_error", err.reason);
    return errorPage(c, err.status, err.title, err.message, err.returnTo);
  }
  if (err instanceof HTTPException && !(err instanceof OAuthError)) {
    const status = err.status;
    err = new OAuthError(status === 413 ? "invalid_request" : "invalid_request", status === 413 ? "request body too large" : err.message || "bad request", { status });
  }
  if (err instanceof OAuthError) {
    noteFailure(c, err.code, err.reason);
    if (PAGE_PATHS.test(path)) return errorPage(c, err.status, "This sign-in request cannot continue", err.description);
    if (path === "/mcp" && (err.code === "invalid_token" || err.code === "insufficient_scope")) {
      return c.json(err.toJSON(), err.status as 401, { ...err.headers, "WWW-Authenticate": bearerChallenge(c, err) });
    }
    const headers: Record<string, string> = { ...NO_STORE, ...err.headers };
    if (err.code === "invalid_client" && err.status === 401 && /^Basic\b/i.test(c.req.header("Authorization") ?? "")) {
      headers["WWW-Authenticate"] = 'Basic realm="token", charset="UTF-8"';
    }
    return c.json(err.toJSON(), err.status as 400, headers);
  }
  const id = c.var.correlationId ?? crypto.randomUUID();
  console.error(JSON.stringify({ event: "request.crashed", method: c.req.method, path, correlation_id: id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
  if (PAGE_PATHS.test(path)) return errorPage(c, 500, "Something went wrong", "The server could not complete this request.");
  if (path === "/mcp") return c.json({ jsonrpc: "2.0", error: { code: -32603, message: `Internal error (reference ${id})` }, id: null }, 500);
  return c.json({ error: "server_error", error_description: `internal error (reference ${id})` }, 500, NO_STORE);
};
