// What an MCP client does against either server, over the wire: DCR, the authorization request with PKCE
// (through the e2e tests' headless browser), the code exchange, refresh, and an MCP call. Both sides speak the
// same protocol, so the same code drives both.
import { createHash, randomBytes } from "node:crypto";
import { HeadlessBrowser } from "../test/e2e/browser";
import { form, type HttpClient, type HttpResponse, json } from "./http";

/** A loopback redirect URI (RFC 8252 §7.3): registered and redirected to, never fetched. */
export const REDIRECT_URI = "http://127.0.0.1:9/callback";

export interface Tokens {
  clientId: string;
  accessToken: string;
  refreshToken?: string;
}

/** Thrown for an unexpected status, with what came back. */
export function unexpected(step: string, res: HttpResponse): Error {
  return new Error(`${step}: ${res.status} ${res.body.slice(0, 160).replace(/\s+/g, " ")}`);
}

/** RFC 7591 registration of a public client with a loopback redirect URI; returns its client_id. */
export async function registerClient(http: HttpClient, base: string): Promise<string> {
  const res = await http.send(
    `${base}/register`,
    json({ client_name: "bench", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] }),
  );
  if (res.status !== 201 && res.status !== 200) throw unexpected("register", res);
  const { client_id } = JSON.parse(res.body) as { client_id: string };
  return client_id;
}

/**
 * Authorization request → (consent, sign-in) → code → tokens, for an already registered client, in `browser` (a new
 * one by default; one that signed in before carries its session cookie).
 */
export async function authorizeAndRedeem(http: HttpClient, base: string, clientId: string, email: string, browser = new HeadlessBrowser()): Promise<Tokens> {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const state = randomBytes(12).toString("base64url");
  const authorize = new URL(`${base}/authorize`);
  for (const [key, value] of Object.entries({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
    scope: "mcp",
    resource: `${base}/mcp`,
  })) {
    authorize.searchParams.set(key, value);
  }
  // The e2e tests' headless browser (fetch, cookie jar, forms): approve consent, sign in at the development IdP.
  const landed = await browser.authorize(authorize, {
    fill: { email },
    choose: ["decision=approve", "action=login"],
    stopAt: (url) => url.href.startsWith(REDIRECT_URI),
  });
  const code = landed.searchParams.get("code");
  if (!code || landed.searchParams.get("state") !== state) throw new Error(`authorize: no code in the redirect (${landed.searchParams.get("error") ?? "no error"})`);
  const res = await http.send(
    `${base}/token`,
    form({ grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, client_id: clientId, code_verifier: verifier, resource: `${base}/mcp` }),
  );
  if (res.status !== 200) throw unexpected("token", res);
  const body = JSON.parse(res.body) as { access_token: string; refresh_token?: string };
  return { clientId, accessToken: body.access_token, refreshToken: body.refresh_token };
}

/** A whole sign-in as a new MCP client does it: DCR, then authorization and code exchange. */
export async function signIn(http: HttpClient, base: string, email: string): Promise<Tokens> {
  return authorizeAndRedeem(http, base, await registerClient(http, base), email);
}

/** One refresh-token rotation; returns the successor tokens. */
export async function refresh(http: HttpClient, base: string, tokens: Tokens): Promise<Tokens> {
  if (!tokens.refreshToken) throw new Error("refresh: no refresh token");
  const res = await http.send(`${base}/token`, form({ grant_type: "refresh_token", refresh_token: tokens.refreshToken, client_id: tokens.clientId }));
  if (res.status !== 200) throw unexpected("refresh", res);
  const body = JSON.parse(res.body) as { access_token: string; refresh_token?: string };
  if (!body.refresh_token) throw new Error("refresh: no successor refresh token");
  return { clientId: tokens.clientId, accessToken: body.access_token, refreshToken: body.refresh_token };
}

const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });

/** MCP `tools/list` over streamable HTTP (stateless, JSON response), with or without a bearer token. */
export async function toolsList(http: HttpClient, url: string, accessToken?: string): Promise<void> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2025-06-18",
  };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  const res = await http.send(url, { method: "POST", headers, body: TOOLS_LIST });
  if (res.status !== 200 || !res.body.includes('"whoami"')) throw unexpected("tools/list", res);
}

/** A GET that must answer 200 (discovery documents, JWKS). */
export async function getDocument(http: HttpClient, url: string): Promise<void> {
  const res = await http.send(url);
  if (res.status !== 200) throw unexpected(`GET ${new URL(url).pathname}`, res);
}
