// GitHub as an upstream end to end: `wrangler dev` with two `type: "github"` providers, each a stand-in for a GitHub
// Enterprise Server (test/e2e/github-stand-in.ts) playing GitHub's web application flow and REST API as documented —
// an OAuth App answering JSON, and a GitHub App with expiring user tokens answering in GitHub's default form encoding.
// The person signs in through the headless browser; whoami and the admin API show what Gatehouse captured, and the
// upstream_userinfo tool calls GitHub's API with the vaulted token: a GitHub App token about to expire is refreshed
// once with its single-use refresh token, and `bad_refresh_token` ends the grant. Revoking a grant, or the grant ending
// itself, deletes its vaulted token at GitHub (`DELETE /applications/{client_id}/token`).
// @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#web-application-flow
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeadlessBrowser, visibleText } from "../support/browser";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { authorizeUrl, pkce, redeemCode, registerClient, type RegisteredClient } from "../support/oauth";
import { type GitHub, type GitHubAccount, startGitHub } from "./github-stand-in";

const PORT = 9050;
const REDIRECT_URI = "http://127.0.0.1:9059/callback";
const ADMIN_TOKEN = "e2e-admin-token-github-0123456789abcdef-0123";
const GATEHOUSE = `http://localhost:${PORT}`;

const OCTO: GitHubAccount = {
  login: "octo",
  id: 583231,
  name: "The Octocat",
  email: "octocat@public.example",
  company: "GitHub",
  emails: [
    { email: "octocat@public.example", primary: false, verified: false, visibility: "public" },
    { email: "octo@corp.example", primary: true, verified: true, visibility: "private" },
  ],
};
const UNVERIFIED: GitHubAccount = { login: "newbie", id: 9_000_001, name: null, email: null, company: null, emails: [{ email: "newbie@corp.example", primary: true, verified: false, visibility: null }] };

describe("GitHub as an upstream (OAuth App and GitHub App stand-ins)", () => {
  let gatehouse: Gatehouse;
  let oauthApp: GitHub;
  let githubApp: GitHub;
  let client: RegisteredClient;
  const target = { base: GATEHOUSE, fetch };

  beforeAll(async () => {
    [oauthApp, githubApp] = await Promise.all([
      startGitHub({ kind: "oauth-app", clientId: "Ov23liOAuthApp", clientSecret: "oauth-app-secret-0123456789", callbackUrl: `${GATEHOUSE}/callback`, accounts: [OCTO, UNVERIFIED] }),
      startGitHub({ kind: "github-app", clientId: "Iv23liGitHubApp", clientSecret: "github-app-secret-0123456789", callbackUrl: `${GATEHOUSE}/callback/ghapp`, accounts: [OCTO], formAnswers: true, emailPermission: true }),
    ]);
    const upstreams = [
      { name: "github", type: "github", label: "GitHub", base_url: oauthApp.url, client_id: "Ov23liOAuthApp", client_secret: "oauth-app-secret-0123456789", claims: { org_name: "company" } },
      { name: "ghapp", type: "github", label: "GitHub App", base_url: githubApp.url, client_id: "Iv23liGitHubApp", client_secret: "github-app-secret-0123456789" },
    ];
    gatehouse = await startGatehouse(PORT, { DEV_IDP: "false", UPSTREAMS: JSON.stringify(upstreams), ADMIN_TOKEN });
    client = await registerClient(target, { client_name: "GitHub e2e", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] });
  });

  afterAll(async () => {
    await gatehouse?.stop();
    await oauthApp?.close();
    await githubApp?.close();
  });

  /** Opens an authorization request and approves it with `label`, signing in at the stand-in as `login`. */
  async function authorize(label: string, login: string, decision = "authorize=1"): Promise<{ browser: HeadlessBrowser; final: URL; verifier: string }> {
    const { verifier, challenge } = await pkce();
    const browser = new HeadlessBrowser();
    const url = authorizeUrl(GATEHOUSE, { clientId: client.client_id, redirectUri: REDIRECT_URI, challenge, state: "gh" });
    const final = await browser.authorize(url, { fill: { login, password: "any" }, choose: [`label=${label}`, decision], stopAt: (u) => `${u.origin}${u.pathname}` === REDIRECT_URI });
    return { browser, final, verifier };
  }

  /** tools/call at the built-in /mcp: the HTTP status and the tool's result. */
  async function callTool(accessToken: string, name: string, args: Record<string, unknown> = {}): Promise<{ status: number; result?: { structuredContent?: unknown; isError?: boolean; content?: { text: string }[] } }> {
    const res = await fetch(`${GATEHOUSE}/mcp`, {
      method: "POST",
      headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
    });
    const text = await res.text();
    if (res.status !== 200) return { status: res.status };
    const json = text.startsWith("{") ? text : (text.split("\n").find((l) => l.startsWith("data: "))?.slice(6) ?? "");
    return { status: 200, result: (JSON.parse(json) as { result: NonNullable<Awaited<ReturnType<typeof callTool>>["result"]> }).result };
  }

  async function whoami(accessToken: string): Promise<unknown> {
    const { status, result } = await callTool(accessToken, "whoami");
    expect(status).toBe(200);
    return result?.structuredContent;
  }

  async function githubUser(subject: string): Promise<Record<string, unknown> | undefined> {
    const res = await fetch(`${GATEHOUSE}/admin/api/users?limit=100`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Record<string, unknown>[] }).items.find((u) => u.subject === subject);
  }

  it("signs in with an OAuth App: the verified primary email from /user/emails, the numeric id as subject, the company as organisation", async () => {
    const { final, verifier } = await authorize("Approve with GitHub", "octo");
    expect(final.searchParams.get("iss")).toBe(GATEHOUSE);
    const tokens = await redeemCode(target, client, final.searchParams.get("code") ?? "", verifier);
    expect(await whoami(tokens.access_token)).toMatchObject({ authenticated: true, email: "octo@corp.example", email_verified: true, domain: "corp.example", organization: { id: null, name: "GitHub" } });
    expect(await githubUser("583231")).toMatchObject({ provider: "github", subject: "583231", email: "octo@corp.example", email_verified: true, org_name: "GitHub", name: "The Octocat" });
  });

  it("asks GitHub as it documents: authorize with PKCE S256 and the scopes, the code exchanged with the client secret in the form, the API with its headers", () => {
    const authorizeRequest = oauthApp.requests.find((r) => r.method === "GET" && r.path === "/login/oauth/authorize");
    expect(Object.fromEntries(authorizeRequest?.query ?? [])).toEqual({
      response_type: "code",
      client_id: "Ov23liOAuthApp",
      redirect_uri: `${GATEHOUSE}/callback/github`,
      scope: "read:user user:email",
      state: expect.stringMatching(/^gh1s_/),
      code_challenge: expect.any(String),
      code_challenge_method: "S256",
    });
    const exchange = oauthApp.requests.find((r) => r.path === "/login/oauth/access_token");
    expect(exchange?.headers.accept).toBe("application/json");
    expect(exchange?.headers.authorization).toBeUndefined();
    expect([...(exchange?.form?.keys() ?? [])].sort()).toEqual(["client_id", "client_secret", "code", "code_verifier", "grant_type", "redirect_uri"]);
    expect([exchange?.status, exchange?.error]).toEqual([200, undefined]);
    const api = oauthApp.requests.filter((r) => r.path.startsWith("/api/v3/"));
    expect(api.map((r) => `${r.path} ${r.status}`)).toEqual(["/api/v3/user 200", "/api/v3/user/emails 200"]);
    for (const request of api) {
      expect(request.headers.authorization).toMatch(/^Bearer gho_/);
      expect(request.headers.accept).toBe("application/vnd.github+json");
      expect(request.headers["x-github-api-version"]).toBe("2022-11-28");
      expect(request.headers["user-agent"]).toBe("Gatehouse");
    }
  });

  it("signs in with a GitHub App whose token endpoint answers form-encoded, keeping the expiring token and its refresh token", async () => {
    const { final, verifier } = await authorize("Approve with GitHub App", "octo");
    const tokens = await redeemCode(target, client, final.searchParams.get("code") ?? "", verifier);
    expect(await whoami(tokens.access_token)).toMatchObject({ email: "octo@corp.example", email_verified: true });
    expect(githubApp.issued).toEqual([{ accessToken: expect.stringMatching(/^ghu_/), refreshToken: expect.stringMatching(/^ghr_/), login: "octo" }]);
    expect(githubApp.requests.filter((r) => r.path.startsWith("/api/v3/")).map((r) => r.headers.authorization)).toEqual([`Bearer ${githubApp.issued[0]?.accessToken}`, `Bearer ${githubApp.issued[0]?.accessToken}`]);
  });

  it("calls GitHub's API with the vaulted GitHub App token (the upstream_userinfo tool)", async () => {
    const { final, verifier } = await authorize("Approve with GitHub App", "octo");
    const tokens = await redeemCode(target, client, final.searchParams.get("code") ?? "", verifier);
    const called = await callTool(tokens.access_token, "upstream_userinfo", { provider: "ghapp" });
    expect(called.result?.structuredContent).toMatchObject({ provider: "ghapp", claims: { id: 583231, login: "octo", email: "octo@corp.example", email_verified: true } });
    expect(githubApp.refreshes).toEqual([]);
  });

  it("refreshes a GitHub App user token about to expire at GitHub once (form answer, single-use refresh token rotated), then serves the new one", async () => {
    // Issued with 30 s left: within the vault's 60 s margin, so the first use refreshes it; the successor lives 8 h.
    githubApp.setTokenLifetime(30);
    const { final, verifier } = await authorize("Approve with GitHub App", "octo");
    githubApp.setTokenLifetime(28_800);
    const tokens = await redeemCode(target, client, final.searchParams.get("code") ?? "", verifier);
    const first = githubApp.issued.at(-1);
    const after = await callTool(tokens.access_token, "upstream_userinfo", { provider: "ghapp" });
    expect(after.result?.structuredContent).toMatchObject({ provider: "ghapp", claims: { id: 583231 } });
    expect(githubApp.refreshes).toEqual([first?.refreshToken]);
    const refresh = githubApp.requests.filter((r) => r.path === "/login/oauth/access_token").at(-1);
    expect(refresh?.form?.get("grant_type")).toBe("refresh_token");
    expect(refresh?.form?.get("client_secret")).toBe("github-app-secret-0123456789");
    const rotated = githubApp.issued.at(-1);
    expect(rotated?.refreshToken).not.toBe(first?.refreshToken);
    expect(githubApp.requests.filter((r) => r.path === "/api/v3/user").at(-1)?.headers.authorization).toBe(`Bearer ${rotated?.accessToken}`);
    // Served from the vault now: no further refresh.
    await callTool(tokens.access_token, "upstream_userinfo", { provider: "ghapp" });
    expect(githubApp.refreshes).toHaveLength(1);
  });

  it("ends the grant when GitHub answers bad_refresh_token (the app's authorization was revoked): the next /mcp call is 401", async () => {
    githubApp.setTokenLifetime(30);
    const { final, verifier } = await authorize("Approve with GitHub App", "octo");
    githubApp.setTokenLifetime(28_800);
    const tokens = await redeemCode(target, client, final.searchParams.get("code") ?? "", verifier);
    githubApp.forgetRefreshTokens();
    const refused = await callTool(tokens.access_token, "upstream_userinfo", { provider: "ghapp" });
    expect(refused.result?.isError).toBe(true);
    const exchange = githubApp.requests.filter((r) => r.path === "/login/oauth/access_token").at(-1);
    expect([exchange?.form?.get("grant_type"), exchange?.status, exchange?.error]).toEqual(["refresh_token", 200, "bad_refresh_token"]);
    expect((await callTool(tokens.access_token, "whoami")).status).toBe(401);
    // The grant ended inside its object: the vaulted access token is still deleted at GitHub, in the background.
    const vaulted = githubApp.issued.at(-1)?.accessToken;
    for (let i = 0; i < 50 && !githubApp.deleted.includes(vaulted ?? ""); i++) await new Promise((r) => setTimeout(r, 100));
    expect(githubApp.deleted).toEqual([vaulted]);
  });

  it("deletes the vaulted OAuth App token at GitHub when the client revokes its grant (/revoke)", async () => {
    const { final, verifier } = await authorize("Approve with GitHub", "octo");
    const tokens = await redeemCode(target, client, final.searchParams.get("code") ?? "", verifier);
    const vaulted = oauthApp.issued.at(-1)?.accessToken;
    const revoke = await fetch(`${GATEHOUSE}/revoke`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token: tokens.refresh_token ?? "", client_id: client.client_id }) });
    expect(revoke.status).toBe(200);
    for (let i = 0; i < 50 && oauthApp.deleted.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(oauthApp.deleted).toEqual([vaulted]);
    const deletion = oauthApp.requests.find((r) => r.method === "DELETE");
    expect(deletion).toMatchObject({ path: "/api/v3/applications/Ov23liOAuthApp/token", status: 204 });
    expect(deletion?.headers["x-github-api-version"]).toBe("2022-11-28");
    // The token is gone at GitHub: its API refuses it.
    const api = await fetch(`${oauthApp.url}/api/v3/user`, { headers: { Authorization: `Bearer ${vaulted}`, "User-Agent": "e2e" } });
    expect(api.status).toBe(401);
  });

  it("refuses an account without a verified primary email with the verify-your-email page", async () => {
    const attempt = authorize("Approve with GitHub", "newbie");
    await expect(attempt).rejects.toThrow(/answered 403/);
    const res = await fetch(`${GATEHOUSE}/admin/api/users?limit=100`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(((await res.json()) as { items: { subject: string }[] }).items.map((u) => u.subject)).not.toContain("9000001");
  });

  it("returns access_denied to the client when the person cancels at GitHub", async () => {
    const { final } = await authorize("Approve with GitHub", "octo", "authorize=0");
    expect(final.searchParams.get("error")).toBe("access_denied");
    expect(final.searchParams.get("state")).toBe("gh");
    expect(final.searchParams.get("iss")).toBe(GATEHOUSE);
  });

  it("shows a sign-in failure page when GitHub answers bad_verification_code with 200 OK", async () => {
    oauthApp.rejectNextCode();
    const before = oauthApp.requests.length;
    const browser = new HeadlessBrowser();
    const { challenge } = await pkce();
    const url = authorizeUrl(GATEHOUSE, { clientId: client.client_id, redirectUri: REDIRECT_URI, challenge, state: "gh" });
    await expect(browser.authorize(url, { fill: { login: "octo", password: "any" }, choose: ["label=Approve with GitHub", "authorize=1"], stopAt: (u) => `${u.origin}${u.pathname}` === REDIRECT_URI })).rejects.toThrow(/answered 502/);
    expect(visibleText(browser.pages.at(-1)?.html ?? "")).toContain("GitHub refused to complete the sign-in.");
    expect(oauthApp.requests.slice(before).filter((r) => r.path === "/login/oauth/access_token").map((r) => [r.status, r.error])).toEqual([[200, "bad_verification_code"]]);
  });
});
