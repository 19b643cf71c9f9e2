// What an MCP client does against either server, over the wire: the shared sign-in (test/support/oauth.ts: DCR, the
// authorization request with PKCE through the headless browser, the code exchange) sent through the bench's
// keep-alive client, then refresh and an MCP call. Both sides speak the same protocol, so the same code drives both.
import { HeadlessBrowser } from "../test/support/browser";
import { authorizeUrl, pkce, redeemCode, type RegisteredClient, registerClient, type SignedIn, signIn, type Target } from "../test/support/oauth";
import { form, type HttpClient, type HttpResponse } from "./http";

export type { SignedIn };

/** A loopback redirect URI (RFC 8252 §7.3): registered and redirected to, never fetched. */
export const REDIRECT_URI = "http://127.0.0.1:9/callback";

/** The public client every sign-in registers (RFC 7591); identical registrations may come back as the same client (`200`). */
const METADATA = { client_name: "bench", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] };
const REGISTERED = [201, 200];

/** Thrown for an unexpected status, with what came back. */
export function unexpected(step: string, res: HttpResponse): Error {
  return new Error(`${step}: ${res.status} ${res.body.slice(0, 160).replace(/\s+/g, " ")}`);
}

/** The server at `base` as a sign-in target, its registration and token requests sent through `http`. */
function target(http: HttpClient, base: string): Target {
  return {
    base,
    async fetch(url, init) {
      const res = await http.send(url, { method: init.method === "POST" ? "POST" : "GET", headers: Object.fromEntries(new Headers(init.headers)), body: init.body === undefined ? undefined : String(init.body) });
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.headers)) for (const one of [value ?? []].flat()) headers.append(name, one);
      return new Response(res.body, { status: res.status, headers });
    },
  };
}

/** RFC 7591 registration of the bench's public client. */
export function registerBenchClient(http: HttpClient, base: string): Promise<RegisteredClient> {
  return registerClient(target(http, base), METADATA, REGISTERED);
}

/**
 * A sign-in as `email` (authorization request → consent, sign-in → code → tokens, with `resource` at /authorize and
 * /token: `<base>/mcp` unless told otherwise, RFC 8707), for `client` or a newly registered one, in `browser` (a new
 * one on the network's fetch by default; one that signed in before carries its session cookie).
 */
export function signInAt(http: HttpClient, base: string, email: string, options: { client?: RegisteredClient; browser?: HeadlessBrowser; resource?: string } = {}): Promise<SignedIn> {
  const resource = options.resource ?? `${base}/mcp`;
  const leg = { email, browser: options.browser ?? new HeadlessBrowser(), params: { resource }, token: { resource } };
  return signIn(target(http, base), options.client ? { ...leg, client: options.client } : { ...leg, metadata: METADATA, accept: REGISTERED });
}

/**
 * A sign-in for `resource` at a Gatehouse whose upstream is another provider (its own login and consent forms:
 * `fill` and `choose` are given to the headless browser), for a newly registered client, in a new browser unless given one.
 */
export async function signInUpstream(http: HttpClient, base: string, resource: string, idp: { fill: Record<string, string>; choose: string[] }, browser = new HeadlessBrowser()): Promise<SignedIn> {
  const server = target(http, base);
  const client = await registerClient(server, METADATA, REGISTERED);
  const { verifier, challenge } = await pkce();
  const state = crypto.randomUUID();
  const start = authorizeUrl(base, { clientId: client.client_id, redirectUri: REDIRECT_URI, challenge, state }, { resource });
  const redirect = await browser.authorize(start, { ...idp, choose: ["decision=approve", ...idp.choose], stopAt: (url) => url.href.startsWith(REDIRECT_URI) });
  const code = redirect.searchParams.get("code");
  if (!code || redirect.searchParams.get("state") !== state) throw new Error(`authorize: no code (${redirect.searchParams.get("error") ?? "no error"})`);
  return { client, tokens: await redeemCode(server, client, code, verifier, { resource }) };
}

/** One refresh-token rotation; returns the successor tokens. */
export async function refresh(http: HttpClient, base: string, signedIn: SignedIn): Promise<SignedIn> {
  const { client, tokens } = signedIn;
  if (!tokens.refresh_token) throw new Error("refresh: no refresh token");
  const res = await http.send(`${base}/token`, form({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: client.client_id }));
  if (res.status !== 200) throw unexpected("refresh", res);
  const successor = JSON.parse(res.body) as SignedIn["tokens"];
  if (!successor.refresh_token) throw new Error("refresh: no successor refresh token");
  return { client, tokens: successor };
}

const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });

/** MCP `tools/list` over streamable HTTP (stateless, JSON response), with or without a bearer token; `tool` must be listed. */
export async function toolsList(http: HttpClient, url: string, accessToken?: string, tool = "whoami"): Promise<void> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2025-06-18",
  };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  const res = await http.send(url, { method: "POST", headers, body: TOOLS_LIST });
  if (res.status !== 200 || !res.body.includes(`"${tool}"`)) throw unexpected("tools/list", res);
}

/** The `whoami` tool's answer at `url`: the person the access token was issued for, as the server knows them. */
export async function whoami(http: HttpClient, url: string, accessToken: string): Promise<{ email?: string | null }> {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18", authorization: `Bearer ${accessToken}` };
  const res = await http.send(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } }) });
  if (res.status !== 200) throw unexpected("whoami", res);
  // Both sides register Gatehouse's own whoami, which answers with structured content.
  return (JSON.parse(res.body) as { result?: { structuredContent?: { email?: string | null } } }).result?.structuredContent ?? {};
}

/** The names `tools/list` lists at `url` (no token): the bench checks both sides list the same tools. */
export async function listedToolNames(http: HttpClient, url: string): Promise<string[]> {
  const res = await http.send(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18" }, body: TOOLS_LIST });
  if (res.status !== 200) throw unexpected("tools/list", res);
  return (JSON.parse(res.body) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);
}

/** A GET that must answer 200 (discovery documents, JWKS). */
export async function getDocument(http: HttpClient, url: string): Promise<void> {
  const res = await http.send(url);
  if (res.status !== 200) throw unexpected(`GET ${new URL(url).pathname}`, res);
}
