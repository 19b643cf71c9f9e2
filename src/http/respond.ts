// How thrown errors become responses. Each mount says how its own errors render — a page a person reads, OAuth JSON
// (RFC 6749 §5.2) or the MCP endpoint's (RFC 6750 challenges, JSON-RPC) — with `pageErrors`, `oauthErrors` or
// `mcpErrors`, so a route answers in its format wherever it is mounted. `onError` renders in that format, or, where
// no mount spoke, as the plain last resort: `server_error` with a correlation id.
import type { Context, ErrorHandler, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv, ErrorFormat } from "./app-env";
import { OAuthError, PageError } from "../errors";
import { builtInResource, type ProtectedResource } from "../policy/resource";
import { ErrorPage } from "../ui/error-page";

/** Headers for every response that carries or could carry a credential (RFC 6749 §5.1). */
export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

/** Renders an HTML error page with the request's correlation id. */
export function errorPage(c: Context<AppEnv>, status: number, title: string, message: string, returnTo?: PageError["returnTo"]): Response | Promise<Response> {
  const html = ErrorPage({ config: c.get("config"), title, message, correlationId: c.get("correlationId"), returnTo });
  return c.html(html, status as 400, NO_STORE);
}

/** The `WWW-Authenticate` challenge of RFC 6750 §3 with RFC 9728 §5.1's `resource_metadata`, for `target` (default: /mcp). */
export function bearerChallenge(c: Context<AppEnv>, error?: OAuthError, target: ProtectedResource = builtInResource(c.get("config"))): string {
  const parts = [`resource_metadata="${target.metadataUrl}"`, `scope="${target.scopes.join(" ")}"`];
  if (error) parts.push(`error="${error.code}"`, `error_description="${error.description.replace(/["\\]/g, "")}"`);
  return `Bearer ${parts.join(", ")}`;
}

/** Notes the failure for the request's one log line (src/http/request-log.ts). */
export function noteFailure(c: Context<AppEnv>, code: string, reason: string | undefined): void {
  c.set("outcome", { error: code, reason });
}

/** OAuth JSON, never cached; a failed Basic authentication is challenged for Basic again (RFC 6749 §5.2 `invalid_client`). */
const oauth: ErrorFormat = {
  refusal(c, err) {
    const headers: Record<string, string> = { ...NO_STORE, ...err.headers };
    if (err.code === "invalid_client" && err.status === 401 && /^Basic\b/i.test(c.req.header("Authorization") ?? "")) {
      headers["WWW-Authenticate"] = 'Basic realm="token", charset="UTF-8"';
    }
    return c.json(err.toJSON(), err.status as 400, headers);
  },
  crash: (c, reference) => c.json({ error: "server_error", error_description: `internal error (reference ${reference})` }, 500, NO_STORE),
};

/** The browser flow's pages: the person reads what went wrong and the id to report. */
const page: ErrorFormat = {
  refusal: (c, err) => errorPage(c, err.status, "This sign-in request cannot continue", err.description),
  crash: (c) => errorPage(c, 500, "Something went wrong", "The server could not complete this request."),
};

/** The protected resource: token failures as RFC 6750 §3 challenges naming the metadata (RFC 9728 §5.1), crashes as JSON-RPC. */
const mcp: ErrorFormat = {
  refusal(c, err) {
    if (err.code !== "invalid_token" && err.code !== "insufficient_scope") return oauth.refusal(c, err);
    return c.json(err.toJSON(), err.status as 401, { ...err.headers, "WWW-Authenticate": bearerChallenge(c, err) });
  },
  crash: (c, reference) => c.json({ jsonrpc: "2.0", error: { code: -32603, message: `Internal error (reference ${reference})` }, id: null }, 500),
};

function errorFormat(format: ErrorFormat): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    c.set("errorFormat", format);
    return next();
  };
}

/** Errors below render as HTML pages (the browser flow, the account page). */
export const pageErrors = errorFormat(page);
/** Errors below render as OAuth JSON (the protocol endpoints, discovery, the admin API). */
export const oauthErrors = errorFormat(oauth);
/** Errors below render as the MCP endpoint's: bearer challenges and JSON-RPC errors. */
export const mcpErrors = errorFormat(mcp);

/** `app.onError`: the mount's format; a PageError is a page in any of them; anything else a logged crash. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const format = c.get("errorFormat");
  if (format && err instanceof PageError) {
    noteFailure(c, "page_error", err.reason);
    return errorPage(c, err.status, err.title, err.message, err.returnTo);
  }
  const refusal = format && asOAuthError(err);
  if (refusal) {
    noteFailure(c, refusal.code, refusal.reason);
    return format.refusal(c, refusal);
  }
  const reference = c.get("correlationId") ?? crypto.randomUUID();
  console.error(JSON.stringify({ event: "request.crashed", method: c.req.method, path: c.req.path, correlation_id: reference, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
  return (format ?? oauth).crash(c, reference);
};

/** What hono's own refusals mean, so a refused sign-in page explains itself (issue 19) rather than saying "bad request". */
const HONO_REFUSALS: Record<number, string> = {
  403: "the form was not sent from this site's own page, so it was refused: go back to your application and start again",
  413: "request body too large",
};

/** A protocol error, or hono's own (an oversized body, a refused cross-site form) as one. */
function asOAuthError(err: Error): OAuthError | undefined {
  if (err instanceof OAuthError) return err;
  if (!(err instanceof HTTPException)) return undefined;
  const status = err.status;
  return new OAuthError("invalid_request", HONO_REFUSALS[status] ?? (err.message || "bad request"), { status });
}
