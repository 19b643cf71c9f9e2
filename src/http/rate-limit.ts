// Rate limits with the Workers rate-limiting binding, one binding per endpoint family, each keyed so that nobody
// can spend another person's budget: /register, /authorize and /callback by source, /token by the credential
// presented (or the authenticated client), /mcp by grant. Hosted clients (claude.ai, ChatGPT) send every user's
// requests from a few shared egress addresses, so /token, /revoke and /introspect have only a generous budget per
// source, spent before any client lookup, and /mcp none. A source is an IPv4 address or an IPv6 /64.
import type { Context } from "hono";
import type { AppEnv } from "./app-env";
import { errorPage, noteFailure } from "./respond";
import { OAuthError } from "../errors";
import { sourcePrefix } from "../policy/source-prefix";

/** The bindings (wrangler.jsonc `ratelimits`); an absent binding means no limit. */
export type RateLimitBinding = "RATE_LIMIT_REGISTER" | "RATE_LIMIT_BROWSER" | "RATE_LIMIT_SOURCE" | "RATE_LIMIT_TOKEN" | "RATE_LIMIT_MCP";

/** Seconds a limited caller is told to wait: the binding's period (wrangler allows 10 or 60). */
export const RETRY_AFTER = "60";

/** The caller's source as Cloudflare reports its address: the key of every limit by address. */
export function sourceKey(c: Context<AppEnv>): string {
  return sourcePrefix(c.req.header("CF-Connecting-IP"));
}

/** Whether the caller `key` names may make one more request under `binding`; the key is built only if a limit applies. */
export async function withinLimit(c: Context<AppEnv>, binding: RateLimitBinding, key: () => string): Promise<boolean> {
  const limiter = c.env[binding];
  if (!limiter || !c.get("config").rateLimits) return true;
  return (await limiter.limit({ key: `${binding}:${key()}` })).success;
}

/** Throws the 429 of an OAuth JSON endpoint (/register, /token, /revoke, /introspect) when `key` is over the limit. */
export async function limitOAuth(c: Context<AppEnv>, binding: RateLimitBinding, key: () => string): Promise<void> {
  if (await withinLimit(c, binding, key)) return;
  throw new OAuthError("temporarily_unavailable", "too many requests: retry later", { status: 429, headers: { "Retry-After": RETRY_AFTER }, reason: `rate limit ${binding}` });
}

/** The 429 page of the browser endpoints (/authorize, /callback), or `undefined` within the limit. */
export async function limitPage(c: Context<AppEnv>): Promise<Response | undefined> {
  if (await withinLimit(c, "RATE_LIMIT_BROWSER", () => sourceKey(c))) return undefined;
  noteFailure(c, "rate_limited", "rate limit RATE_LIMIT_BROWSER");
  const res = await errorPage(c, 429, "Too many sign-in attempts", "Too many sign-in requests came from your network. Wait a minute, then start again from your application.");
  res.headers.set("Retry-After", RETRY_AFTER);
  return res;
}

/** The 429 of /mcp: a JSON-RPC error, never a 401 (which would make the client drop its tokens). */
export function mcpTooManyRequests(c: Context<AppEnv>): Response {
  noteFailure(c, "rate_limited", "rate limit RATE_LIMIT_MCP");
  return c.json({ jsonrpc: "2.0", error: { code: -32000, message: "Rate limit exceeded: retry later." }, id: null }, 429, { "Retry-After": RETRY_AFTER });
}
