// Refuses every request addressed to an origin other than PUBLIC_URL before any routing, so the issuer the tokens
// name is the only host that serves them: a workers.dev alias of a deployment, or a DNS-rebinding page that points
// its own name at `wrangler dev`, reaches nothing (RFC 9110 §15.5.20, RFC 8414 §3.3's issuer rule).
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app-env";
import { browserPageHeaders } from "./page-headers";
import { errorPage, NO_STORE } from "./respond";

/** Pages a person opens in a browser: refused with an HTML page, or redirected when the browser GETs them. */
const PAGE_PATHS = /^\/(authorize|callback(\/[^/]+)?|account|dev-idp\/authorize)?$/;
/** Discovery documents, which a person may also open in a browser to look at. */
const DISCOVERY_PATHS = /^\/(dev-idp\/)?\.well-known\//;

/** Serve the request, send the browser to the same path on PUBLIC_URL, or refuse it (as a page or as OAuth JSON). */
export type HostDecision = { action: "pass" } | { action: "redirect"; location: string } | { action: "refuse"; page: boolean };

/** What to do with a request for `url` when the public origin is `publicUrl`. */
export function decideHost(url: URL, publicUrl: string, method: string, accept: string): HostDecision {
  if (url.origin === publicUrl) return { action: "pass" };
  const page = PAGE_PATHS.test(url.pathname);
  // A redirect carries nothing back to the wrong origin, and a browser follows it only to PUBLIC_URL itself.
  const browserGet = (method === "GET" || method === "HEAD") && /\btext\/html\b/i.test(accept);
  if (browserGet && (page || DISCOVERY_PATHS.test(url.pathname))) {
    return { action: "redirect", location: `${publicUrl}${url.pathname}${url.search}` };
  }
  return { action: "refuse", page };
}

/** The first middleware of the app: 421 Misdirected Request (or a 307 for a browser's page) for any other origin. */
export const hostCheck = createMiddleware<AppEnv>(async (c, next) => {
  const config = c.get("config");
  // Without a valid PUBLIC_URL there is no origin to hold requests to; the configuration check refuses the flows.
  if (config.problems.some((p) => p.variable === "PUBLIC_URL")) return next();
  // The usual case without parsing a URL per request: the runtime's request URL is serialised, so the public
  // origin followed by "/" is exactly a request for that origin.
  const raw = c.req.url;
  if (raw.startsWith(config.publicUrl) && raw.charCodeAt(config.publicUrl.length) === 47) return next();
  const decision = decideHost(new URL(raw), config.publicUrl, c.req.method, c.req.header("Accept") ?? "");
  if (decision.action === "pass") return next();
  if (decision.action === "redirect") return c.redirect(decision.location, 307);
  return misdirected(c, decision.page);
});

async function misdirected(c: Context<AppEnv>, page: boolean): Promise<Response> {
  const where = c.get("config").publicUrl;
  if (page) {
    await browserPageHeaders(c, async () => {
      c.res = await errorPage(c, 421, "Wrong address", `This server answers at ${where} only.`);
    });
    return c.res;
  }
  return c.json({ error: "invalid_request", error_description: `this server answers at ${where} only` }, 421, NO_STORE);
}
