// What an MCP client does to sign in, once for every test and the bench: PKCE, the authorization request, DCR, the
// browser leg (consent → development IdP → callback, in the headless browser) and the code exchange. Runtime-neutral
// (WebCrypto, fetch): worker tests pass `exports.default.fetch`, e2e tests the network's fetch, the bench its
// keep-alive client.
// @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
import { calculatePKCECodeChallenge, generateRandomCodeVerifier } from "oauth4webapi";
import { type Fetch, HeadlessBrowser } from "./browser";

/** A server to sign in at: its base URL and how requests reach it. */
export interface Target {
  base: string;
  fetch: Fetch;
}

/** A registered client as /register answers it (RFC 7591 §3.2.1). */
export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
}

/** A successful /token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

/** @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1 */
export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = generateRandomCodeVerifier();
  return { verifier, challenge: await calculatePKCECodeChallenge(verifier) };
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string | undefined;
  challenge: string;
  state: string;
  /** `mcp` unless told otherwise. */
  scope?: string;
  /** `<base>/mcp` unless told otherwise (RFC 8707). */
  resource?: string;
}

/**
 * The /authorize URL at `base` for a valid request with PKCE S256, changed by `params` (`undefined` removes a
 * parameter). @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export function authorizeUrl(base: string, request: AuthorizationRequest, params: Record<string, string | undefined> = {}): URL {
  const all: Record<string, string | undefined> = {
    response_type: "code",
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    code_challenge: request.challenge,
    code_challenge_method: "S256",
    state: request.state,
    scope: request.scope ?? "mcp",
    resource: request.resource ?? `${base}/mcp`,
    ...params,
  };
  const url = new URL(`${base}/authorize`);
  for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.append(key, value);
  return url;
}

/** Thrown for an unexpected status, with what came back. */
async function unexpected(step: string, res: Response): Promise<Error> {
  return new Error(`${step}: ${res.status} ${(await res.text()).slice(0, 300).replace(/\s+/g, " ")}`);
}

/**
 * Registers a client through /register (RFC 7591 §3); `201` is required unless `accept` says otherwise (the bench
 * accepts the `200` of an identical registration returned again).
 */
export async function registerClient(target: Target, metadata: Record<string, unknown>, accept: number[] = [201]): Promise<RegisteredClient> {
  const res = await target.fetch(`${target.base}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(metadata) });
  if (!accept.includes(res.status)) throw await unexpected("register", res);
  return (await res.json()) as RegisteredClient;
}

/** POST /token for an authorization code (RFC 6749 §4.1.3); throws unless `200`. */
export async function redeemCode(target: Target, client: RegisteredClient, code: string, verifier: string, extra: Record<string, string> = {}): Promise<TokenResponse> {
  const form = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: client.redirect_uris[0] ?? "", client_id: client.client_id, ...extra };
  const res = await target.fetch(`${target.base}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
  if (res.status !== 200) throw await unexpected("token", res);
  return (await res.json()) as TokenResponse;
}

export interface BrowserLeg {
  /** What the person types at the development IdP. */
  email: string;
  name?: string;
  /** Changes to the authorization request (`undefined` removes a parameter). */
  params?: Record<string, string | undefined>;
  /** The person's browser (a new one by default; one that signed in before carries its session cookie). */
  browser?: HeadlessBrowser;
}

/**
 * The person's part: opens the authorization request for `client` in the browser, approves consent and signs in at
 * the development IdP; returns the code from the redirect to the client (state checked) with its verifier.
 */
export async function obtainCode(target: Target, client: RegisteredClient, leg: BrowserLeg): Promise<{ code: string; verifier: string; redirect: URL }> {
  const { verifier, challenge } = await pkce();
  const state = crypto.randomUUID();
  const redirectUri = leg.params?.redirect_uri ?? client.redirect_uris[0] ?? "";
  const browser = leg.browser ?? new HeadlessBrowser(target.fetch);
  const redirect = await browser.authorize(authorizeUrl(target.base, { clientId: client.client_id, redirectUri: client.redirect_uris[0], challenge, state }, leg.params), {
    fill: { email: leg.email, ...(leg.name ? { name: leg.name } : {}) },
    choose: ["decision=approve", "action=login"],
    stopAt: (url) => url.href.startsWith(redirectUri),
  });
  const code = redirect.searchParams.get("code");
  if (!code || redirect.searchParams.get("state") !== state) throw new Error(`authorize: no code in the redirect (${redirect.searchParams.get("error") ?? "no error"})`);
  return { code, verifier, redirect };
}

/** A signed-in client: its registration and its tokens. */
export interface SignedIn {
  client: RegisteredClient;
  tokens: TokenResponse;
}

/**
 * A whole sign-in as an MCP client does it: registration (unless `client` is given, with `metadata`), the browser
 * leg, and the code exchange (with `token`'s extra parameters).
 */
export async function signIn(
  target: Target,
  options: BrowserLeg & { token?: Record<string, string> } & ({ client: RegisteredClient } | { metadata: Record<string, unknown>; accept?: number[] }),
): Promise<SignedIn> {
  const client = "client" in options ? options.client : await registerClient(target, options.metadata, options.accept);
  const { code, verifier } = await obtainCode(target, client, options);
  return { client, tokens: await redeemCode(target, client, code, verifier, options.token) };
}
