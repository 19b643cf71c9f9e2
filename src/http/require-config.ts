// The configuration gate of the mounts that cannot work without a complete configuration (the flow endpoints, /mcp,
// the development IdP): while src/config/ reports problems they answer 503 naming each variable, and the rest —
// discovery, JWKS, the landing page, /healthz — stays up for the operator to look at.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app-env";
import { OAuthError } from "../errors";
import { errorPage } from "./respond";

/** `temporarily_unavailable` (RFC 6749 §4.1.2.1, §5.2) in the mount's error format. */
export const requireConfig = createMiddleware<AppEnv>((c, next) => {
  if (c.get("config").problems.length === 0) return next();
  throw new OAuthError("temporarily_unavailable", unconfigured(c), { reason: "configuration" });
});

/** The same for the browser sign-in, whose GETs a person opens: they see a page saying sign-in is unavailable. */
export const requireSignInConfig = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("config").problems.length === 0 || c.req.method !== "GET") return requireConfig(c, next);
  return errorPage(c, 503, "Sign-in is unavailable", unconfigured(c));
});

function unconfigured(c: Context<AppEnv>): string {
  return `Gatehouse is not configured: ${c.get("config").problems.map((p) => `${p.variable} ${p.message}`).join("; ")}.`;
}
