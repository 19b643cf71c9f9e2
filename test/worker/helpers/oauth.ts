// OAuth client helpers for worker tests, on the shared sign-in steps (test/support/oauth.ts) aimed at the Worker
// under test: registration, the authorization request, the step-by-step browser leg (consent → development IdP →
// callback) for tests that inspect each page, the whole sign-in, and token requests.
import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { expect } from "vitest";
import type { Env } from "../../../src/env";
import type { HeadlessBrowser } from "../../support/browser";
import * as shared from "../../support/oauth";
import { BASE, Browser, location, workerFetch, workerTarget } from "./browser";

export { pkce } from "../../support/oauth";

export const MCP_RESOURCE = `${BASE}/mcp`;
export const REDIRECT_URI = "http://127.0.0.1:33418/callback";
/** Who signs in at the development IdP unless a test says otherwise. */
const PERSON = { email: "ada@analytical.example", name: "Ada Lovelace" };

export type TestClient = shared.RegisteredClient;

/** The tokens of `signIn`, whose client may refresh; the tests that ask for a scope without `offline_access` expect no `refresh_token`. */
export type Tokens = shared.TokenResponse & { refresh_token: string };

/** Registers a client through /register (RFC 7591); public with one loopback redirect URI unless told otherwise. */
export function registerClient(metadata: Record<string, unknown> = {}): Promise<TestClient> {
  // A distinct software_id per call: identical public registrations from one source return the same client.
  return shared.registerClient(workerTarget(), { client_name: "Test Client", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", software_id: crypto.randomUUID(), ...metadata });
}

/** An /authorize URL with a valid request for `client`, changed by `params` (`undefined` removes a parameter). */
export function authorizeUrl(client: TestClient, challenge: string, params: Record<string, string | undefined> = {}): string {
  return shared.authorizeUrl(BASE, { clientId: client.client_id, redirectUri: client.redirect_uris[0], challenge, state: "client-state-123" }, params).href;
}

/** Opens the consent page (its HTML kept for assertions), approves, signs in at the development IdP; the IdP's redirect to /callback. */
async function consentAndLogin(browser: Browser, url: string, email = PERSON.email): Promise<{ consent: string; callback: URL }> {
  const page = await browser.fetch(url);
  const consent = await page.text();
  expect(page.status, consent.slice(0, 500)).toBe(200);
  const approved = await browser.submit(consent, { name: "decision", value: "approve" });
  const login = await browser.fetch(location(approved).href);
  expect(login.status).toBe(200);
  const callback = await browser.submit(await login.text(), { name: "action", value: "login" }, { email, name: PERSON.name });
  return { consent, callback: location(callback) };
}

/** Opens the consent page, approves, signs in at the development IdP; returns the IdP's redirect to /callback. */
export async function approveAndSignIn(browser: Browser, url: string, email = PERSON.email): Promise<URL> {
  return (await consentAndLogin(browser, url, email)).callback;
}

/** The whole browser leg from an authorization URL: the consent page's HTML and the final redirect to the client (with `code`, `state`, `iss`). */
export async function authorizeAt(url: string, options: { browser?: Browser; email?: string } = {}): Promise<{ consent: string; redirect: URL }> {
  const browser = options.browser ?? new Browser();
  const { consent, callback } = await consentAndLogin(browser, url, options.email);
  return { consent, redirect: location(await browser.fetch(callback.href)) };
}

/** The whole browser leg for `client`: returns the final redirect to the client (with `code`, `state`, `iss`). */
export async function authorize(client: TestClient, challenge: string, options: { browser?: Browser; params?: Record<string, string | undefined>; email?: string } = {}): Promise<URL> {
  return (await authorizeAt(authorizeUrl(client, challenge, options.params), options)).redirect;
}

/** A code for `client` with its verifier, ready for /token, and the redirect that carried it; `target` is another configuration. */
export async function obtainCode(client: TestClient, options: { params?: Record<string, string | undefined>; email?: string; target?: Env } = {}): Promise<{ code: string; verifier: string; redirect: URL }> {
  return shared.obtainCode(workerTarget(options.target), client, { ...PERSON, ...options });
}

/** A signed-in grant: `client` (a new public client with a refresh grant by default), its tokens, and the grant and user they name. */
export async function signIn(options: { client?: TestClient; email?: string; params?: Record<string, string | undefined>; browser?: HeadlessBrowser } = {}) {
  const client = options.client ?? (await registerClient({ grant_types: ["authorization_code", "refresh_token"] }));
  const { tokens } = await shared.signIn(workerTarget(), { ...PERSON, ...options, client });
  const claims = decodeJwt<{ sid: string; sub: string }>(tokens.access_token);
  return { client, tokens: tokens as Tokens, grantId: claims.sid, userId: claims.sub };
}

/** POST /token with a form body; with `target`, through the Worker's `fetch` with that environment and its background work awaited. */
export function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}, target?: Env): Promise<Response> {
  return workerFetch(target)(`${BASE}/token`, {
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

/** The status of an MCP `tools/list` call at /mcp with `accessToken`; `target` as for `tokenRequest`. */
export async function mcpStatus(accessToken: string, target?: Env): Promise<number> {
  const res = await workerFetch(target)(`${BASE}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  return res.status;
}
