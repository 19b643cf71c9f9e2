// Single sign-on in a real headless Chromium (test/e2e/chromium.ts: the one npm install brings, driven by playwright-core): after one
// sign-in, the session cookie carries a second authorization from the same browser past the IdP; a public client on a
// loopback redirect still sees the consent page ("Continue as", RFC 8252 §8.6); /account lists the connected app,
// revokes it and signs out everywhere. Against a real OpenID provider (node-oidc-provider), a static confidential
// client's remembered consent and a browser whose grants are all revoked sign in again silently with `prompt=none`
// from the provider's own session, falling back to its login page when that session is gone.
// @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (prompt)
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { type LoopbackListener, startLoopbackListener } from "./loopback-listener";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { authorizeUrl, pkce, registerClient } from "../support/oauth";
import { ACCOUNT, startUpstream, type Upstream } from "./upstream-provider";

const SESSION_COOKIE = "__Host-gh_session";
const MCP_SCOPE = "mcp offline_access";

/** One authorization request: its URL and the secrets the client keeps for it. */
interface Authorization {
  url: URL;
  verifier: string;
  state: string;
}

async function newAuthorization(gatehouse: Gatehouse, clientId: string, redirectUri: string, extra: Record<string, string> = {}): Promise<Authorization> {
  const { verifier, challenge } = await pkce();
  const state = crypto.randomUUID();
  const url = authorizeUrl(gatehouse.url, { clientId, redirectUri, challenge, state, scope: MCP_SCOPE }, { resource: undefined, ...extra });
  return { url, verifier, state };
}

interface Tokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  scope: string;
}

/** Redeems the code of `callback` with the authorization's PKCE verifier, after checking code, state and iss. */
async function redeem(gatehouse: Gatehouse, clientId: string, redirectUri: string, authorization: Authorization, callback: URL, clientSecret?: string): Promise<Tokens> {
  expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
  expect(callback.searchParams.get("error"), callback.href).toBeNull();
  expect(callback.searchParams.get("state")).toBe(authorization.state);
  expect(callback.searchParams.get("iss")).toBe(gatehouse.url);
  const code = callback.searchParams.get("code");
  expect(code).toMatch(/^gh1c_/);
  const res = await fetch(`${gatehouse.url}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: code ?? "", redirect_uri: redirectUri, client_id: clientId, code_verifier: authorization.verifier, ...(clientSecret ? { client_secret: clientSecret } : {}) }),
  });
  const tokens = (await res.json()) as Tokens;
  expect(res.status, JSON.stringify(tokens)).toBe(200);
  expect(tokens.token_type).toMatch(/^bearer$/i);
  expect(tokens.access_token).toBeTruthy();
  return tokens;
}

/** POST /mcp with one JSON-RPC request: the status and the parsed body (when JSON). */
async function mcp(gatehouse: Gatehouse, accessToken: string, method: string, params?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${gatehouse.url}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, ...(params === undefined ? {} : { params }) }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body };
}

/** One top-level document request or response in the page, in order. */
interface Navigation {
  kind: "request" | "response";
  url: URL;
  status?: number;
}

/** A page of `context` that records every main-frame document request and response (redirects included). */
async function recordingPage(context: BrowserContext): Promise<{ page: Page; navigations: Navigation[] }> {
  const page = await context.newPage();
  const navigations: Navigation[] = [];
  page.on("request", (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigations.push({ kind: "request", url: new URL(request.url()) });
  });
  page.on("response", (response) => {
    const request = response.request();
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigations.push({ kind: "response", url: new URL(response.url()), status: response.status() });
  });
  return { page, navigations };
}

/** The navigations one a line (→ request, ← status response; origin and path, and any prompt), for failure messages. */
function describeNavigations(navigations: Navigation[]): string {
  return navigations.map((n) => `${n.kind === "request" ? "→" : `← ${n.status}`} ${n.url.origin}${n.url.pathname}${n.url.searchParams.has("prompt") ? ` (prompt=${n.url.searchParams.get("prompt")})` : ""}`).join("\n");
}

/** Resolves with the first request the page makes to `redirectUri` (start waiting before the click that leads there). */
function callbackOf(page: Page, redirectUri: string): Promise<URL> {
  return page.waitForRequest((request) => request.url().startsWith(redirectUri), { timeout: 60_000 }).then((request) => new URL(request.url()));
}

async function sessionCookie(context: BrowserContext, gatehouse: Gatehouse) {
  return (await context.cookies(gatehouse.url)).find((cookie) => cookie.name === SESSION_COOKIE);
}

describe("single sign-on and connected apps in a real browser (development IdP)", () => {
  const REDIRECT_URI = "http://127.0.0.1:8893/callback";
  const CLIENT_NAME = "SSO Browser Test App";
  const EMAIL = "ada@example.com";
  let server: Gatehouse | undefined;
  let browser: Browser | undefined;
  let listener: LoopbackListener | undefined;
  let context: BrowserContext;
  let page: Page;
  let navigations: Navigation[];
  let clientId: string;
  /** Access tokens of the first, the second (single sign-on) and the prompt=login authorization. */
  const accessTokens: string[] = [];
  let firstRefreshToken: string | undefined;

  beforeAll(async () => {
    listener = await startLoopbackListener(REDIRECT_URI);
    [server, browser] = await Promise.all([startGatehouse(8891), launchChromium()]);
    clientId = (
      await registerClient(
        { base: server.url, fetch },
        { client_name: CLIENT_NAME, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] },
      )
    ).client_id;
    context = await browser.newContext();
    ({ page, navigations } = await recordingPage(context));
  });

  afterAll(async () => {
    await browser?.close();
    await listener?.close();
    await server?.stop();
  });

  /** Consent page → Approve → development IdP sign-in → the redirect URI; the callback URL. */
  async function signInInteractively(authorization: Authorization): Promise<URL> {
    const consent = await page.goto(authorization.url.href);
    expect(consent?.status()).toBe(200);
    await expect.poll(() => page.title()).toContain("Allow access?");
    expect(await page.locator("h1 strong").innerText()).toBe(CLIENT_NAME);
    await page.locator('button[name="decision"][value="approve"]').click();
    const email = page.locator('input[name="email"]');
    await email.waitFor({ state: "visible" });
    expect(await page.locator("h1").innerText()).toBe("Development sign-in");
    await email.fill(EMAIL);
    const callback = callbackOf(page, REDIRECT_URI);
    await page.locator('button[name="action"][value="login"]').click();
    const url = await callback;
    await page.waitForURL((u) => u.href.startsWith(REDIRECT_URI));
    return url;
  }

  it("signs in once through consent and the development IdP, and starts a 30-day session", async () => {
    const gatehouse = server!;
    expect(await sessionCookie(context, gatehouse)).toBeUndefined();
    const authorization = await newAuthorization(gatehouse, clientId, REDIRECT_URI);
    const tokens = await redeem(gatehouse, clientId, REDIRECT_URI, authorization, await signInInteractively(authorization));
    expect(tokens.refresh_token).toBeTruthy();
    accessTokens.push(tokens.access_token);
    firstRefreshToken = tokens.refresh_token;
    expect((await mcp(gatehouse, tokens.access_token, "tools/list")).status).toBe(200);

    const session = await sessionCookie(context, gatehouse);
    expect(session, "the session cookie is set after the sign-in").toBeDefined();
    expect(session?.secure).toBe(true);
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");
    expect(session?.path).toBe("/");
    const days = ((session?.expires ?? 0) * 1000 - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it("a second sign-in from the same browser shows the consent page as the signed-in person, and Continue goes straight back: no IdP page", async () => {
    const gatehouse = server!;
    const authorization = await newAuthorization(gatehouse, clientId, REDIRECT_URI);
    navigations.length = 0;
    // A public client on a loopback redirect never skips the page (RFC 8252 §8.6): any local program could be it.
    const consent = await page.goto(authorization.url.href);
    expect(consent?.status()).toBe(200);
    await expect.poll(() => page.title()).toContain("Allow access?");
    expect(await page.locator('button[name="decision"][value="approve"]').innerText()).toBe(`Continue as ${EMAIL}`);
    expect(await page.locator('button[name="decision"][value="another_account"]').innerText()).toBe("Use another account");
    const callback = callbackOf(page, REDIRECT_URI);
    await page.locator('button[name="decision"][value="approve"]').click();
    const url = await callback;
    await page.waitForURL((u) => u.href.startsWith(REDIRECT_URI));
    expect(await page.locator("body").innerText()).toBe("callback received");
    const trail = describeNavigations(navigations);
    // The client's listener got exactly this authorization response (the first sign-in's, then this one).
    expect(listener!.callbacks.filter((u) => u.pathname === "/callback").map((u) => u.searchParams.get("state"))).toHaveLength(2);
    expect(listener!.callbacks.filter((u) => u.pathname === "/callback").at(-1)?.href).toBe(url.href);

    // The only document requests: /authorize (the page), its form post (answered 302) and the redirect URI: no IdP.
    expect(navigations.filter((n) => n.kind === "request").map((n) => `${n.url.origin}${n.url.pathname}`), trail).toEqual([`${gatehouse.url}/authorize`, `${gatehouse.url}/authorize`, REDIRECT_URI]);
    expect(navigations.some((n) => n.url.pathname.startsWith("/dev-idp/")), trail).toBe(false);

    const tokens = await redeem(gatehouse, clientId, REDIRECT_URI, authorization, url);
    accessTokens.push(tokens.access_token);
    expect(tokens.access_token).not.toBe(accessTokens[0]);
    const listed = await mcp(gatehouse, tokens.access_token, "tools/list");
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain("whoami");
    // The same person as the interactive sign-in.
    const whoami = await mcp(gatehouse, tokens.access_token, "tools/call", { name: "whoami", arguments: {} });
    expect(whoami.status).toBe(200);
    expect((whoami.body as { result?: { structuredContent?: { email?: string } } }).result?.structuredContent?.email).toBe(EMAIL);
  });

  it("prompt=consent shows the consent page; prompt=login shows it too and then the IdP's sign-in", async () => {
    const gatehouse = server!;
    const consent = await page.goto((await newAuthorization(gatehouse, clientId, REDIRECT_URI, { prompt: "consent" })).url.href);
    expect(consent?.status()).toBe(200);
    expect(new URL(consent!.url()).pathname).toBe("/authorize");
    await expect.poll(() => page.title()).toContain("Allow access?");

    const authorization = await newAuthorization(gatehouse, clientId, REDIRECT_URI, { prompt: "login" });
    navigations.length = 0;
    const shown = await page.goto(authorization.url.href);
    expect(shown?.status()).toBe(200);
    await expect.poll(() => page.title()).toContain("Allow access?");
    await page.locator('button[name="decision"][value="approve"]').click();
    const email = page.locator('input[name="email"]');
    await email.waitFor({ state: "visible" });
    const trail = describeNavigations(navigations);
    expect(new URL(page.url()).pathname, trail).toBe("/dev-idp/authorize");
    expect(new URL(page.url()).searchParams.get("prompt"), trail).toBe("login");
    expect(await page.locator("h1").innerText()).toBe("Development sign-in");
    await email.fill(EMAIL);
    const callback = callbackOf(page, REDIRECT_URI);
    await page.locator('button[name="action"][value="login"]').click();
    const tokens = await redeem(gatehouse, clientId, REDIRECT_URI, authorization, await callback);
    accessTokens.push(tokens.access_token);
    expect((await mcp(gatehouse, tokens.access_token, "tools/list")).status).toBe(200);
  });

  it("/account lists the app; Revoke access ends its tokens and forgets the consent", async () => {
    const gatehouse = server!;
    const account = await page.goto(`${gatehouse.url}/account`);
    expect(account?.status()).toBe(200);
    expect(account?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(await page.locator("h1").innerText()).toBe("Connected apps");
    expect(await page.locator("main").innerText()).toContain(`Signed in as ${EMAIL}.`);
    const app = page.locator("section.app", { has: page.locator("h2", { hasText: CLIENT_NAME }) });
    expect(await app.count()).toBe(1);
    const details = await app.innerText();
    expect(details).toMatch(/127\.0\.0\.1 · first used \d{4}-\d{2}-\d{2} · last used \d{4}-\d{2}-\d{2}/);
    expect(await app.locator("ul.scopes li").count()).toBe(2);
    expect(await app.locator('input[name="client_id"]').getAttribute("value")).toBe(clientId);

    await Promise.all([page.waitForResponse((r) => r.url() === `${gatehouse.url}/account/revoke` && r.request().method() === "POST"), app.getByRole("button", { name: "Revoke access" }).click()]);
    await page.waitForLoadState();
    const confirmed = await page.locator("main").innerText();
    expect(confirmed).toContain("Access revoked: the application has to ask you again.");
    expect(await page.locator("section.app").count()).toBe(0);
    expect(confirmed).toContain("No application has access");

    // Every grant of the client is gone (interactive, single sign-on, prompt=login): no access token works, nor the refresh token.
    expect(accessTokens).toHaveLength(3);
    for (const token of accessTokens) expect((await mcp(gatehouse, token, "tools/list")).status).toBe(401);
    const refresh = await fetch(`${gatehouse.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: firstRefreshToken ?? "", client_id: clientId }),
    });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe("invalid_grant");

    // The consent is forgotten: the next authorization asks again (the session itself still stands).
    expect(await sessionCookie(context, gatehouse)).toBeDefined();
    navigations.length = 0;
    const again = await page.goto((await newAuthorization(gatehouse, clientId, REDIRECT_URI)).url.href);
    expect(again?.status(), describeNavigations(navigations)).toBe(200);
    expect(new URL(again!.url()).pathname).toBe("/authorize");
    await expect.poll(() => page.title()).toContain("Allow access?");
    expect(await page.locator("h1 strong").innerText()).toBe(CLIENT_NAME);
  });

  it("approving again with no live grant left signs in at the IdP; Sign out everywhere ends that too", async () => {
    const gatehouse = server!;
    const authorization = await newAuthorization(gatehouse, clientId, REDIRECT_URI);
    const tokens = await redeem(gatehouse, clientId, REDIRECT_URI, authorization, await signInInteractively(authorization));
    expect((await mcp(gatehouse, tokens.access_token, "tools/list")).status).toBe(200);

    await page.goto(`${gatehouse.url}/account`);
    expect(await page.locator("section.app h2").allInnerTexts()).toEqual([CLIENT_NAME]);
    await Promise.all([
      page.waitForResponse((r) => r.url() === `${gatehouse.url}/account/sign-out` && r.request().method() === "POST"),
      page.getByRole("button", { name: "Sign out everywhere" }).click(),
    ]);
    await page.waitForLoadState();
    const signedOut = await page.locator("main").innerText();
    expect(signedOut).toContain("Signed out everywhere: every application has to ask you to sign in again.");
    expect(signedOut).toContain("You are not signed in in this browser.");
    expect(await sessionCookie(context, gatehouse)).toBeUndefined();
    expect((await mcp(gatehouse, tokens.access_token, "tools/list")).status).toBe(401);

    // /account now says signed out, and a new authorization shows the consent page.
    await page.goto(`${gatehouse.url}/account`);
    expect(await page.locator("main").innerText()).toContain("You are not signed in in this browser.");
    const again = await page.goto((await newAuthorization(gatehouse, clientId, REDIRECT_URI)).url.href);
    expect(again?.status()).toBe(200);
    await expect.poll(() => page.title()).toContain("Allow access?");
  });
});

const UPSTREAM_CLIENT_ID = "gatehouse-sso-e2e";
const UPSTREAM_CLIENT_SECRET = "e2e-sso-upstream-secret-that-is-long-enough-0123456789";

/** The upstream's authorization outcomes, in order (its other events left out). */
const authorizations = (upstream: Upstream) => upstream.events.filter((e) => e.startsWith("authorization."));

describe("silent single sign-on through a real OpenID provider's session (oidc-provider, prompt=none)", () => {
  const PORT = 8901;
  const REDIRECT_URI = "http://127.0.0.1:8903/callback";
  const CLIENT_NAME = "SSO Upstream Test App";
  // A client the operator declared, authenticating with a secret: one whose remembered consent may skip the page.
  const STATIC_CLIENT_ID = "sso-upstream-e2e";
  const STATIC_CLIENT_SECRET = "e2e-sso-static-client-secret-0123456789abcdef";
  let gatehouse: Gatehouse;
  let upstream: Upstream;
  let browser: Browser | undefined;
  let listener: LoopbackListener | undefined;
  let context: BrowserContext;
  let page: Page;
  let navigations: Navigation[];
  let clientId: string;
  let tokens: Tokens;

  beforeAll(async () => {
    listener = await startLoopbackListener(REDIRECT_URI);
    upstream = await startUpstream(`http://localhost:${PORT}`, { clientId: UPSTREAM_CLIENT_ID, clientSecret: UPSTREAM_CLIENT_SECRET });
    let started: Gatehouse;
    [started, browser] = await Promise.all([
      startGatehouse(PORT, {
        DEV_IDP: "false",
        UPSTREAM_ISSUER: upstream.issuer,
        UPSTREAM_CLIENT_ID,
        UPSTREAM_CLIENT_SECRET,
        STATIC_CLIENTS: JSON.stringify([
          { client_id: STATIC_CLIENT_ID, client_name: CLIENT_NAME, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "client_secret_post", client_secret: STATIC_CLIENT_SECRET, application_type: "native" },
        ]),
      }),
      launchChromium(),
    ]);
    gatehouse = started;
    clientId = STATIC_CLIENT_ID;
    context = await browser.newContext();
    // oidc-provider's development pages import a web font: nothing off this machine is reachable, so fail it at once.
    await context.route(/^https?:\/\/(?!localhost[:/]|127\.0\.0\.1[:/])/, (route) => route.abort());
    ({ page, navigations } = await recordingPage(context));
  });

  afterAll(async () => {
    await browser?.close();
    await listener?.close();
    await gatehouse?.stop();
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => (upstream?.server ? upstream.server.close(resolve) : resolve(undefined)));
  });

  /** From the upstream's login page on: types the login, then continues on its consent page; the callback URL. */
  async function upstreamLogin(): Promise<URL> {
    const login = page.locator('input[name="login"]');
    await login.waitFor({ state: "visible" });
    expect(new URL(page.url()).origin).toBe(upstream.issuer);
    await login.fill(ACCOUNT.login);
    await page.locator('input[name="password"]').fill("any password");
    await page.locator('button[type="submit"]').click();
    await page.locator('input[name="prompt"][value="consent"]').waitFor({ state: "attached" });
    const callback = callbackOf(page, REDIRECT_URI);
    await page.getByRole("button", { name: "Continue" }).click();
    const url = await callback;
    await page.waitForURL((u) => u.href.startsWith(REDIRECT_URI));
    return url;
  }

  const upstreamAuthorizeRequests = () => navigations.filter((n) => n.kind === "request" && n.url.origin === upstream.issuer && n.url.pathname === "/auth");

  it("signs in once through Gatehouse's consent and the upstream's real login and consent pages", async () => {
    const authorization = await newAuthorization(gatehouse, clientId, REDIRECT_URI);
    navigations.length = 0;
    const consent = await page.goto(authorization.url.href);
    expect(consent?.status()).toBe(200);
    await expect.poll(() => page.title()).toContain("Allow access?");
    await page.locator('button[name="decision"][value="approve"]').click();
    tokens = await redeem(gatehouse, clientId, REDIRECT_URI, authorization, await upstreamLogin(), STATIC_CLIENT_SECRET);
    expect(tokens.refresh_token, "a client registered for refresh_token with offline_access gets one").toBeTruthy();
    expect((await mcp(gatehouse, tokens.access_token, "tools/list")).status).toBe(200);

    const trail = describeNavigations(navigations);
    const toUpstream = upstreamAuthorizeRequests();
    expect(toUpstream, trail).toHaveLength(1);
    expect(toUpstream[0]?.url.searchParams.get("prompt"), "an interactive first sign-in sends no prompt").toBeNull();
    // The browser now holds the upstream's own session (host-only cookies of 127.0.0.1:port) and Gatehouse's.
    expect((await context.cookies(upstream.issuer)).map((c) => c.name)).toContain("_session");
    expect(await sessionCookie(context, gatehouse)).toBeDefined();
    expect(authorizations(upstream)).toEqual(["authorization.success prompt="]);
  });

  it("with every grant revoked, authorizes again through the upstream with prompt=none and no page shown", async () => {
    // RFC 7009 revocation of the refresh token ends the whole grant: there is no live grant to lend its identity.
    const revoked = await fetch(`${gatehouse.url}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token ?? "", token_type_hint: "refresh_token", client_id: clientId, client_secret: STATIC_CLIENT_SECRET }),
    });
    expect(revoked.status).toBe(200);
    expect((await mcp(gatehouse, tokens.access_token, "tools/list")).status).toBe(401);

    const authorization = await newAuthorization(gatehouse, clientId, REDIRECT_URI);
    navigations.length = 0;
    const response = await page.goto(authorization.url.href);
    expect(await page.locator("body").innerText()).toBe("callback received");
    const trail = describeNavigations(navigations);

    // /authorize 302 → upstream /auth?prompt=none 303 → Gatehouse /callback 302 → the redirect URI: no page in between.
    const toUpstream = upstreamAuthorizeRequests();
    expect(toUpstream, trail).toHaveLength(1);
    expect(toUpstream[0]?.url.searchParams.get("prompt"), trail).toBe("none");
    expect(toUpstream[0]?.url.searchParams.get("client_id")).toBe(UPSTREAM_CLIENT_ID);
    const shown = navigations.filter((n) => n.kind === "response" && n.status === 200 && !n.url.href.startsWith(REDIRECT_URI));
    expect(shown, trail).toEqual([]);
    expect(navigations.some((n) => n.url.pathname.startsWith("/interaction/")), trail).toBe(false);
    expect(navigations.filter((n) => n.kind === "request").map((n) => `${n.url.origin}${n.url.pathname}`), trail).toEqual([
      `${gatehouse.url}/authorize`,
      `${upstream.issuer}/auth`,
      `${gatehouse.url}/callback`,
      REDIRECT_URI,
    ]);
    expect(authorizations(upstream).at(-1)).toBe("authorization.success prompt=none");

    const callback = new URL(response!.url());
    expect(listener!.callbacks.filter((u) => u.pathname === "/callback").at(-1)?.href).toBe(callback.href);
    tokens = await redeem(gatehouse, clientId, REDIRECT_URI, authorization, callback, STATIC_CLIENT_SECRET);
    const whoami = await mcp(gatehouse, tokens.access_token, "tools/call", { name: "whoami", arguments: {} });
    expect(whoami.status).toBe(200);
    expect((whoami.body as { result?: { structuredContent?: { email?: string } } }).result?.structuredContent?.email).toBe(ACCOUNT.email);
  });

  it("without the upstream's session, prompt=none comes back login_required and the upstream's login page is shown", async () => {
    const revoked = await fetch(`${gatehouse.url}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token ?? "", client_id: clientId, client_secret: STATIC_CLIENT_SECRET }),
    });
    expect(revoked.status).toBe(200);
    // The upstream's session ends in this browser; Gatehouse's stays.
    await context.clearCookies({ domain: new URL(upstream.issuer).hostname });
    expect(await context.cookies(upstream.issuer)).toEqual([]);
    expect(await sessionCookie(context, gatehouse)).toBeDefined();

    const authorization = await newAuthorization(gatehouse, clientId, REDIRECT_URI);
    navigations.length = 0;
    await page.goto(authorization.url.href);
    await page.locator('input[name="login"]').waitFor({ state: "visible" });
    const trail = describeNavigations(navigations);
    expect(upstreamAuthorizeRequests().map((n) => n.url.searchParams.get("prompt")), trail).toEqual(["none", "login"]);
    // Back at /authorize with prompt=login: consent is remembered, so no consent page, straight to the upstream login.
    const again = navigations.filter((n) => n.kind === "request" && n.url.origin === gatehouse.url && n.url.pathname === "/authorize");
    expect(again.map((n) => n.url.searchParams.get("prompt")), trail).toEqual([null, "login"]);
    expect(again[1]?.url.searchParams.get("state")).toBe(authorization.state);
    expect(navigations.some((n) => n.url.origin === gatehouse.url && n.url.pathname === "/authorize" && n.status === 200), trail).toBe(false);
    expect(authorizations(upstream).at(-1)).toMatch(/^authorization\.error prompt=none login_required/);

    tokens = await redeem(gatehouse, clientId, REDIRECT_URI, authorization, await upstreamLogin(), STATIC_CLIENT_SECRET);
    expect((await mcp(gatehouse, tokens.access_token, "tools/list")).status).toBe(200);
  });
});
