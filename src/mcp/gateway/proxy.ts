// The gateway's hop to an origin MCP server: the client's request as sent, minus its credentials, plus Gatehouse's
// identity assertion; the answer streamed back as the origin writes it. Origin failures are JSON-RPC errors.
// @see MCP specification, basic/transports (Streamable HTTP); MCP security best practices, "Token Passthrough"
import type { Context } from "hono";
import type { McpServer } from "../../config/servers";
import { OAuthError } from "../../errors";
import type { AppEnv } from "../../http/app-env";
import { bearerChallenge, noteFailure } from "../../http/respond";
import type { Caller } from "../../identity";
import { IDENTITY_HEADER } from "../../lib/verify-identity";
import { protectedResources } from "../../policy/resource";
import { identityAssertion } from "../../tokens/identity-assertion";
import { upstreamTokenFor, UpstreamTokenError } from "../upstream-token";

/** The only client headers the origin receives: what Streamable HTTP needs, nothing that carries or forges identity. */
const FORWARDED_HEADERS = ["Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version", "Mcp-Method", "Mcp-Name", "Last-Event-ID"] as const;

/**
 * SEP-2243's custom headers (2026-07-28): a client mirrors each tool argument the tool's inputSchema marks with
 * `x-mcp-header: "<Name>"` into `Mcp-Param-<Name>`, and the origin must refuse a tools/call whose body carries such
 * an argument without its header (400, -32020). They repeat what the body says, so they carry no identity.
 */
const FORWARDED_PREFIX = "mcp-param-";

/** Origin response headers never passed on: hop-by-hop ones (RFC 9110 §7.6.1), cookies for Gatehouse's domain, and the origin's own challenges. */
const DROPPED_RESPONSE_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "set-cookie", "www-authenticate", "proxy-authenticate"]);

/** What authenticates the request at the origin: the identity assertion, and with `upstream:<provider>` that provider's token. */
interface OriginCredentials {
  assertion: string;
  upstreamToken?: string;
}

/**
 * The headers sent to the origin: the allow-listed ones of `incoming`, the origin's own session id, and as the bearer
 * the identity assertion — or the provider's access token, the assertion then in `Gatehouse-Identity`.
 */
function originHeaders(incoming: Headers, credentials: OriginCredentials, sessionId?: string): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = incoming.get(name);
    if (value !== null) headers.set(name, value);
  }
  for (const [name, value] of incoming) if (name.startsWith(FORWARDED_PREFIX)) headers.set(name, value);
  if (sessionId !== undefined) headers.set("Mcp-Session-Id", sessionId);
  if (credentials.upstreamToken === undefined) {
    headers.set("Authorization", `Bearer ${credentials.assertion}`);
  } else {
    headers.set("Authorization", `Bearer ${credentials.upstreamToken}`);
    headers.set(IDENTITY_HEADER, credentials.assertion);
  }
  return headers;
}

/**
 * The credentials for `server`, or the answer when the provider's token cannot be had: the grant ended (401
 * `invalid_token`, so the client signs in again), the provider is down (503, try later), or the grant holds no token
 * of it, or one that is not a bearer token (502).
 */
async function originCredentials(c: Context<AppEnv>, server: McpServer, caller: Caller): Promise<OriginCredentials | Response> {
  const assertion = await identityAssertion(c.env, c.get("config"), server, caller);
  if (server.upstreamProvider === undefined) return { assertion };
  try {
    const token = await upstreamTokenFor(c, caller, server.upstreamProvider);
    if (token.tokenType !== "bearer") return originFailure(c, 502, "upstream_token_type", `${server.label} needs a bearer token from its provider, which issued another kind`);
    return { assertion, upstreamToken: token.accessToken };
  } catch (err) {
    if (!(err instanceof UpstreamTokenError)) throw err;
    if (err.code === "unavailable") {
      noteFailure(c, "upstream_unavailable", `provider ${server.upstreamProvider}`);
      return c.json({ jsonrpc: "2.0", error: { code: -32000, message: err.message }, id: null }, 503, { "Retry-After": "5" });
    }
    if (err.code === "revoked") {
      const error = new OAuthError("invalid_token", "the grant has ended: sign in again", { reason: "upstream_revoked" });
      noteFailure(c, error.code, error.reason);
      const target = protectedResources(c.get("config")).find((r) => r.path === server.path);
      return c.json(error.toJSON(), 401, { "WWW-Authenticate": bearerChallenge(c, error, target) });
    }
    return originFailure(c, 502, `upstream_${err.code}`, err.message);
  }
}

/** What goes to the origin besides the client's allow-listed headers: the body read (or the client's stream) and the session id unwrapped. */
export interface OriginRequest {
  body?: BodyInit | null;
  sessionId?: string;
}

/** The origin URL with the client's query parameters appended to its own (no URL parsed when the client sent none). */
function originUrl(origin: string, clientUrl: string): string {
  if (!clientUrl.includes("?")) return origin;
  const target = new URL(origin);
  for (const [name, value] of new URL(clientUrl).searchParams) target.searchParams.append(name, value);
  return target.href;
}

/** A JSON-RPC error response naming the server by its label; the request id is unknown without reading the body. */
export function originFailure(c: Context<AppEnv>, status: 502 | 504, reason: string, message: string): Response {
  noteFailure(c, "origin_failed", reason);
  return c.json({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }, status);
}

/**
 * Sends the request to `server` for `caller` and returns the origin's response unbuffered. No headers within
 * `timeoutMs` → 504; refused, unreachable, redirecting, failing (5xx, whose body may be a stack trace) or rejecting Gatehouse's assertion
 * (401/403) → 502: a 401
 * from Gatehouse would make the client discard a good token. The client's disconnect cancels the origin request.
 */
export async function forward(c: Context<AppEnv>, server: McpServer, caller: Caller, outgoing: OriginRequest): Promise<Response> {
  const fetcher = originFetcher(c, server);
  if (!fetcher) return originFailure(c, 502, "service_binding_missing", `${server.label} is not reachable: its service binding is missing`);
  const credentials = await originCredentials(c, server, caller);
  if (credentials instanceof Response) return credentials;
  const request = c.req.raw;
  const url = server.origin !== undefined ? originUrl(server.origin, request.url) : originUrl(`https://${server.service}${server.path}`, request.url);
  const abort = new AbortController();
  const cancel = () => abort.abort();
  request.signal?.addEventListener("abort", cancel);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, server.timeoutMs);
  let response: Response;
  try {
    response = await fetcher(url, {
      method: request.method,
      headers: originHeaders(request.headers, credentials, outgoing.sessionId),
      body: request.method === "GET" || request.method === "HEAD" ? undefined : outgoing.body,
      redirect: "manual",
      signal: abort.signal,
    });
  } catch {
    return timedOut
      ? originFailure(c, 504, "origin_timeout", `${server.label} did not answer within ${server.timeoutMs} ms`)
      : originFailure(c, 502, "origin_unreachable", `${server.label} is unreachable`);
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 401 || response.status === 403 || (response.status >= 300 && response.status < 400) || response.status >= 500) {
    await response.body?.cancel();
    return originFailure(c, 502, `origin_status_${response.status}`, `${server.label} refused the request (HTTP ${response.status})`);
  }
  const headers = new Headers();
  for (const [name, value] of response.headers) if (!DROPPED_RESPONSE_HEADERS.has(name.toLowerCase())) headers.append(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

type OriginFetch = (url: string, init: RequestInit) => Promise<Response>;

/** `fetch` for an https/loopback origin, or the named service binding's `fetch` (no network hop). */
function originFetcher(c: Context<AppEnv>, server: McpServer): OriginFetch | undefined {
  if (server.service === undefined) return (url, init) => fetch(url, init);
  const binding: unknown = (c.env as unknown as Record<string, unknown>)[server.service];
  if (typeof binding !== "object" || binding === null || typeof (binding as Fetcher).fetch !== "function") return undefined;
  return (url, init) => (binding as Fetcher).fetch(url, init);
}
