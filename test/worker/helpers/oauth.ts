// OAuth client helpers for worker tests: registration, PKCE, the authorization request, the whole browser leg
// (consent → development IdP → callback) and token requests.
import { env, exports } from "cloudflare:workers";
import { calculatePKCECodeChallenge, generateRandomCodeVerifier } from "oauth4webapi";
import { expect } from "vitest";
import { BASE, Browser, location } from "./browser";

export const MCP_RESOURCE = `${BASE}/mcp`;
export const REDIRECT_URI = "http://127.0.0.1:33418/callback";

export interface TestClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
}

/** Registers a client through /register (RFC 7591); public with one loopback redirect URI unless told otherwise. */
export async function registerClient(metadata: Record<string, unknown> = {}): Promise<TestClient> {
  const res = await exports.default.fetch(`${BASE}/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    // A distinct software_id per call: identical public registrations from one source return the same client.
    body: JSON.stringify({ client_name: "Test Client", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", software_id: crypto.randomUUID(), ...metadata }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as TestClient;
}

export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = generateRandomCodeVerifier();
  return { verifier, challenge: await calculatePKCECodeChallenge(verifier) };
}

/** An /authorize URL with a valid request for `client`, changed by `params` (`undefined` removes a parameter). */
export function authorizeUrl(client: TestClient, challenge: string, params: Record<string, string | undefined> = {}): string {
  const all: Record<string, string | undefined> = {
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0],
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: "client-state-123",
    scope: "mcp",
    resource: MCP_RESOURCE,
    ...params,
  };
  const url = new URL(`${BASE}/authorize`);
  for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.append(key, value);
  return url.href;
}

/** Opens the consent page, approves, signs in at the development IdP; returns the IdP's redirect to /callback. */
export async function approveAndSignIn(browser: Browser, url: string, email = "ada@analytical.example"): Promise<URL> {
  const consent = await browser.fetch(url);
  expect(consent.status).toBe(200);
  const approved = await browser.submit(await consent.text(), { name: "decision", value: "approve" });
  const login = await browser.fetch(location(approved).href);
  expect(login.status).toBe(200);
  const callback = await browser.submit(await login.text(), { name: "action", value: "login" }, { email, name: "Ada Lovelace" });
  return location(callback);
}

/** The whole browser leg: returns the final redirect to the client (with `code`, `state`, `iss`). */
export async function authorize(client: TestClient, challenge: string, options: { browser?: Browser; params?: Record<string, string | undefined>; email?: string } = {}): Promise<URL> {
  const browser = options.browser ?? new Browser();
  const callback = await approveAndSignIn(browser, authorizeUrl(client, challenge, options.params), options.email);
  return location(await browser.fetch(callback.href));
}

/** A code for `client` with its verifier, ready for /token. */
export async function obtainCode(client: TestClient, options: { params?: Record<string, string | undefined>; email?: string } = {}): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = await pkce();
  const redirect = await authorize(client, challenge, options);
  const code = redirect.searchParams.get("code");
  if (!code) throw new Error(`no code in the redirect: ${redirect.search}`);
  return { code, verifier };
}

/** POST /token with a form body. */
export function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(`${BASE}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
}

/** The grant's Durable Object for a code or state handle (`gh1c_<id>.<secret>`). */
export function grantOf(handle: string) {
  const id = /^gh1[a-z]_([0-9a-f]{64})\./.exec(handle)?.[1];
  if (!id) throw new Error("not a grant handle");
  return env.GRANTS.get(env.GRANTS.idFromString(id));
}

/** The status of an MCP `tools/list` call at /mcp with `accessToken`. */
export async function mcpStatus(accessToken: string): Promise<number> {
  const res = await exports.default.fetch(`${BASE}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  return res.status;
}
