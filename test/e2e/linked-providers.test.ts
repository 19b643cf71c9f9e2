// Linked providers end to end in headless Chromium: a gateway server that requires GitHub (`"requires": ["github"]`),
// a real OpenID provider (node-oidc-provider) as the primary sign-in and the GitHub stand-in (an OAuth App) as the
// linked one. One authorization chains both logins — each leg with its own state and PKCE, the linked one answered only
// at /callback/github — and ends in one code; later ones reuse the live link without a GitHub leg (one of them for a
// server that takes GitHub's token as its bearer); /account shows the link, and disconnecting it revokes every grant
// that requires GitHub (401).
// @see README "Linking several providers"
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { type GitHub, startGitHub } from "./github-stand-in";
import { type LoopbackListener, startLoopbackListener } from "./loopback-listener";
import { listen, type Origin, startOrigin } from "./mcp-origin";
import { ACCOUNT, startUpstream, type Upstream } from "./upstream-provider";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { authorizeUrl, pkce, redeemCode, registerClient, type RegisteredClient } from "../support/oauth";

const PORT = 9060;
const REDIRECT_URI = "http://127.0.0.1:9063/callback";
const ORIGIN_PORT = 9065;
/** An origin that accepts GitHub's tokens (`authorization: "upstream:github"`): it records what it gets and answers. */
const RECORDER_PORT = 9066;
const GATEHOUSE = `http://localhost:${PORT}`;
const UPSTREAM_CLIENT = { clientId: "gatehouse-linked-e2e", clientSecret: "e2e-linked-upstream-secret-0123456789abcdef" };
const GITHUB_CLIENT = { clientId: "Ov23liLinkedE2E", clientSecret: "linked-github-secret-0123456789" };
const ADMIN_TOKEN = "e2e-admin-token-linked-0123456789abcdef-0123";
const OCTO = {
  login: "octo",
  id: 583231,
  name: "The Octocat",
  email: null,
  company: null,
  emails: [{ email: "octo@github.example", primary: true, verified: true, visibility: null }],
};

describe("a server that requires GitHub: chained sign-in, reused link, disconnect (Chromium)", () => {
  const stops: (() => Promise<void>)[] = [];
  let gatehouse: Gatehouse;
  let upstream: Upstream;
  let github: GitHub;
  let origin: Origin;
  let listener: LoopbackListener;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let client: RegisteredClient;
  const target = { base: GATEHOUSE, fetch };
  const accessTokens: string[] = [];
  const recorded: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    listener = await startLoopbackListener(REDIRECT_URI);
    stops.push(() => listener.close());
    upstream = await startUpstream(GATEHOUSE, UPSTREAM_CLIENT, { redirectUris: [`${GATEHOUSE}/callback/default`] });
    stops.push(async () => {
      upstream.server.closeAllConnections();
      await new Promise((resolve) => upstream.server.close(resolve));
    });
    github = await startGitHub({ kind: "oauth-app", ...GITHUB_CLIENT, callbackUrl: `${GATEHOUSE}/callback/github`, accounts: [OCTO] });
    stops.push(() => github.close());
    origin = await startOrigin(ORIGIN_PORT, GATEHOUSE, stops);
    const recorder = createServer((req, res) => {
      recorded.push(req.headers);
      req.resume();
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "recorder", version: "1" } } }));
    });
    await listen(RECORDER_PORT, recorder, stops);
    const vars = {
      DEV_IDP: "false",
      UPSTREAM_ISSUER: upstream.issuer,
      UPSTREAM_CLIENT_ID: UPSTREAM_CLIENT.clientId,
      UPSTREAM_CLIENT_SECRET: UPSTREAM_CLIENT.clientSecret,
      UPSTREAMS: JSON.stringify([{ name: "github", type: "github", label: "GitHub", base_url: github.url, client_id: GITHUB_CLIENT.clientId, client_secret: GITHUB_CLIENT.clientSecret }]),
      MCP_SERVERS: JSON.stringify([
        { name: "code", label: "Code tools", origin: origin.url, scopes: "mcp", requires: ["github"] },
        { name: "repos", label: "Repositories", origin: `http://127.0.0.1:${RECORDER_PORT}/mcp`, scopes: "mcp", requires: ["github"], authorization: "upstream:github" },
      ]),
      ADMIN_TOKEN,
    };
    let started: Gatehouse;
    [started, browser] = await Promise.all([startGatehouse(PORT, vars), launchChromium()]);
    gatehouse = started;
    client = await registerClient(target, { client_name: "Linked e2e", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", grant_types: ["authorization_code"], response_types: ["code"] });
    context = await browser.newContext();
    // oidc-provider's development pages import a web font: nothing off this machine is reachable, so fail it at once.
    await context.route(/^https?:\/\/(?!localhost[:/]|127\.0\.0\.1[:/])/, (route) => route.abort());
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.stop();
    await Promise.all(stops.map((stop) => stop()));
  });

  async function newAuthorization(server = "code"): Promise<{ url: URL; verifier: string; state: string; resource: string }> {
    const { verifier, challenge } = await pkce();
    const state = crypto.randomUUID();
    const resource = `${GATEHOUSE}/mcp/${server}`;
    return { url: authorizeUrl(GATEHOUSE, { clientId: client.client_id, redirectUri: REDIRECT_URI, challenge, state, resource }), verifier, state, resource };
  }

  function callbackOf(): Promise<URL> {
    return page.waitForRequest((request) => request.url().startsWith(REDIRECT_URI), { timeout: 60_000 }).then((request) => new URL(request.url()));
  }

  async function redeem(authorization: { verifier: string; state: string; resource: string }, callback: URL): Promise<string> {
    expect(callback.searchParams.get("error"), callback.href).toBeNull();
    expect(callback.searchParams.get("state")).toBe(authorization.state);
    const tokens = await redeemCode(target, client, callback.searchParams.get("code") ?? "", authorization.verifier, { resource: authorization.resource });
    accessTokens.push(tokens.access_token);
    return tokens.access_token;
  }

  /** POST initialize to /mcp/<server>; the status. */
  async function codeServer(accessToken: string, server = "code"): Promise<number> {
    const res = await fetch(`${GATEHOUSE}/mcp/${server}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "linked-e2e", version: "1" } } }),
    });
    await res.body?.cancel();
    return res.status;
  }

  const githubAuthorizations = () => github.requests.filter((r) => r.method === "GET" && r.path === "/login/oauth/authorize");

  it("chains the primary sign-in and GitHub into one authorization: one code, and the server works", async () => {
    const authorization = await newAuthorization();
    expect((await page.goto(authorization.url.href))?.status()).toBe(200);
    expect(await page.locator("p.linked").innerText()).toContain("Code tools also needs your account at GitHub");
    await page.getByRole("button", { name: "Approve with 127.0.0.1" }).click();
    // The primary provider's real login and consent pages.
    await page.locator('input[name="login"]').fill(ACCOUNT.login);
    await page.locator('input[name="password"]').fill("any password");
    await page.locator('button[type="submit"]').click();
    await page.getByRole("button", { name: "Continue" }).click();
    // Then GitHub's authorize page, for the linked provider.
    await page.waitForURL((u) => u.origin === github.url);
    const githubUrl = new URL(page.url());
    expect(githubUrl.pathname).toBe("/login/oauth/authorize");
    await page.locator('input[name="login"]').fill("octo");
    const callback = callbackOf();
    await page.getByRole("button", { name: "Authorize" }).click();
    const accessToken = await redeem(authorization, await callback);
    expect(await codeServer(accessToken)).toBe(200);
    expect(origin.requests.at(-1)?.identity).toMatchObject({ payload: { email: ACCOUNT.email, email_verified: true } });
    expect(listener.callbacks.filter((u) => u.searchParams.has("code"))).toHaveLength(1);
  });

  it("gave each leg its own state and PKCE, and sent GitHub's response to /callback/github", () => {
    const [toGitHub] = githubAuthorizations();
    const toPrimary = upstream.events.filter((e) => e.startsWith("authorization.success"));
    expect(toPrimary).toHaveLength(1);
    const query = toGitHub?.query;
    expect(query?.get("redirect_uri")).toBe(`${GATEHOUSE}/callback/github`);
    expect(query?.get("state")).toMatch(/^gh1s_/);
    expect(query?.get("code_challenge_method")).toBe("S256");
    expect(query?.has("nonce")).toBe(false);
    const exchange = github.requests.find((r) => r.path === "/login/oauth/access_token");
    expect([exchange?.status, exchange?.error]).toEqual([200, undefined]);
  });

  it("skips the GitHub leg on the next authorization: the person's live link lends its token to the new grant", async () => {
    const authorization = await newAuthorization();
    expect((await page.goto(authorization.url.href))?.status()).toBe(200);
    const callback = callbackOf();
    await page.getByRole("button", { name: "Continue as" }).click();
    const accessToken = await redeem(authorization, await callback);
    expect(githubAuthorizations()).toHaveLength(1);
    expect(await codeServer(accessToken)).toBe(200);
  });

  it("signs in to a server that takes GitHub's token as its bearer without a GitHub leg: the origin gets the linked account's token", async () => {
    const authorization = await newAuthorization("repos");
    expect((await page.goto(authorization.url.href))?.status()).toBe(200);
    const callback = callbackOf();
    await page.getByRole("button", { name: "Continue as" }).click();
    const accessToken = await redeem(authorization, await callback);
    expect(githubAuthorizations()).toHaveLength(1);
    expect(await codeServer(accessToken, "repos")).toBe(200);
    expect(recorded.at(-1)?.authorization).toBe(`Bearer ${github.issued[0]?.accessToken}`);
    expect(recorded.at(-1)?.["gatehouse-identity"]).toEqual(expect.any(String));
  });

  it("lists the link at /account, and Disconnect revokes every grant that requires GitHub", async () => {
    expect(accessTokens).toHaveLength(3);
    expect((await page.goto(`${GATEHOUSE}/account`))?.status()).toBe(200);
    const link = page.locator("section.link");
    expect(await link.locator("h3").innerText()).toBe("GitHub");
    expect(await link.innerText()).toContain("octo@github.example");
    expect(await link.innerText()).toContain("Needed by Code tools (/mcp/code), Repositories (/mcp/repos)");
    await link.getByRole("button", { name: "Disconnect" }).click();
    await expect.poll(() => page.locator("p.verified").innerText()).toContain("GitHub disconnected");
    expect(await page.locator("section.link").count()).toBe(0);
    expect(await codeServer(accessTokens[0] ?? "")).toBe(401);
    expect(await codeServer(accessTokens[1] ?? "")).toBe(401);
    expect(await codeServer(accessTokens[2] ?? "", "repos")).toBe(401);
    const events = await fetch(`${GATEHOUSE}/admin/api/events?type=provider.disconnected`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(((await events.json()) as { items: { detail: unknown }[] }).items.map((e) => e.detail)).toEqual([{ provider: "github", grants: 3, correlation_id: expect.any(String) }]);
  });

  it("connects GitHub again on the next sign-in, and refuses that leg's response at the primary provider's path", async () => {
    const authorization = await newAuthorization();
    expect((await page.goto(authorization.url.href))?.status()).toBe(200);
    await page.getByRole("button", { name: "Continue as" }).click();
    await page.waitForURL((u) => u.origin === github.url);
    const state = new URL(page.url()).searchParams.get("state") ?? "";
    expect(githubAuthorizations()).toHaveLength(2);
    // The linked leg's state presented at the primary provider's callback: a page, and the pending leg stays.
    const stray = await context.newPage();
    try {
      const refused = await stray.goto(`${GATEHOUSE}/callback/default?code=forged&state=${encodeURIComponent(state)}`);
      expect(refused?.status()).toBe(400);
      expect(await stray.locator("h1").innerText()).toBe("Invalid sign-in response");
    } finally {
      await stray.close();
    }
    await page.locator('input[name="login"]').fill("octo");
    const callback = callbackOf();
    await page.getByRole("button", { name: "Authorize" }).click();
    const accessToken = await redeem(authorization, await callback);
    expect(await codeServer(accessToken)).toBe(200);
  });
});
