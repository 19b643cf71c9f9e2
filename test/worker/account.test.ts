// /account: the signed-in person's connected apps, revoking one (its tokens stop working, its consent is forgotten)
// and signing out everywhere (issue 7, item 4).
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, Browser, location } from "./helpers/browser";
import { approveAndSignIn, authorizeUrl, mcpStatus, pkce, registerClient, type TestClient, tokenRequest } from "./helpers/oauth";

const SESSION = "__Host-gh_session";

interface Tokens {
  access_token: string;
  refresh_token?: string;
}

/** Signs `client` in through `browser` (consent when needed), redeems the code and returns the tokens. */
async function connect(browser: Browser, client: TestClient, email: string): Promise<Tokens> {
  const { verifier, challenge } = await pkce();
  const url = authorizeUrl(client, challenge, { scope: "mcp offline_access" });
  const first = await browser.fetch(url);
  let redirect: URL;
  if (first.status === 200) {
    const approved = location(await browser.submit(await first.text(), { name: "decision", value: "approve" }));
    if (approved.pathname === "/dev-idp/authorize") {
      const login = await browser.fetch(approved.href);
      const callback = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email }));
      redirect = location(await browser.fetch(callback.href));
    } else {
      redirect = approved;
    }
  } else {
    redirect = location(first);
  }
  const code = redirect.searchParams.get("code") ?? "";
  const res = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: client.redirect_uris[0] ?? "", client_id: client.client_id }, {}, env);
  expect(res.status).toBe(200);
  return (await res.json()) as Tokens;
}

/** Posts one of the page's forms (by its action) as the browser would, with the page's CSRF token. */
function post(browser: Browser, html: string, action: string, fields: Record<string, string>): Promise<Response> {
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return browser.fetch(`${BASE}${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, "Sec-Fetch-Site": "same-origin" },
    body: new URLSearchParams({ csrf, ...fields }),
  });
}

function refresh(client: TestClient, tokens: Tokens): Promise<Response> {
  return tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token ?? "", client_id: client.client_id });
}

const clientWithRefresh = (name: string) => registerClient({ client_name: name, grant_types: ["authorization_code", "refresh_token"] });

describe("/account", () => {
  it("tells a browser without a session that it is not signed in, as a page that cannot be framed or cached", async () => {
    const res = await new Browser().fetch(`${BASE}/account`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("You are not signed in");
    expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("lists each authorized client with its name, origin, scopes, first and last use", async () => {
    // Through the Worker's fetch, awaiting each request's background work, so the consents' use times are written in order.
    const browser = new Browser(env);
    const writer = await clientWithRefresh("Notes Writer");
    const reader = await clientWithRefresh("Docs Reader");
    const tokens = await connect(browser, writer, "lovelace@account.example");
    await connect(browser, reader, "lovelace@account.example");
    // Both were last used two days ago; then the writer calls a tool, which moves its last use to now.
    await env.DB.prepare("UPDATE consents SET last_used_at = last_used_at - 172800 WHERE client_id IN (?, ?)").bind(writer.client_id, reader.client_id).run();
    // Awaiting the request's background work: the use is recorded when it answers.
    expect(await mcpStatus(tokens.access_token, env)).toBe(200);
    const res = await browser.fetch(`${BASE}/account`);
    const html = await res.text();
    expect(html).toContain("Signed in as lovelace@account.example");
    expect(html).toContain("Notes Writer");
    expect(html).toContain("Docs Reader");
    expect(html).toContain("127.0.0.1");
    expect(html).toContain("Stay connected when you are not using it");
    const today = new Date().toISOString().slice(0, 10);
    expect(html).toContain(`first used ${today} · last used ${today}`);
    expect(html).toContain(`last used ${new Date(Date.now() - 172_800_000).toISOString().slice(0, 10)}`);
    // The app used last is listed first.
    expect(html.indexOf("Notes Writer")).toBeLessThan(html.indexOf("Docs Reader"));
  });

  it("revokes one client: its tokens stop working, its consent is forgotten, the other client keeps working", async () => {
    const browser = new Browser();
    const gone = await clientWithRefresh("Revoked App");
    const kept = await clientWithRefresh("Kept App");
    const goneTokens = await connect(browser, gone, "hamilton@account.example");
    const keptTokens = await connect(browser, kept, "hamilton@account.example");
    const page = await (await browser.fetch(`${BASE}/account`)).text();
    const res = await post(browser, page, "/account/revoke", { client_id: gone.client_id, action: "revoke" });
    expect(res.status).toBe(200);
    const after = await res.text();
    expect(after).toContain("Access revoked");
    expect(after).not.toContain("Revoked App");
    expect(after).toContain("Kept App");
    expect(await mcpStatus(goneTokens.access_token)).toBe(401);
    expect((await refresh(gone, goneTokens)).status).toBe(400);
    expect(await mcpStatus(keptTokens.access_token)).toBe(200);
    const consents = await env.DB.prepare("SELECT client_id FROM consents c JOIN users u ON u.id = c.user_id WHERE u.email = ?").bind("hamilton@account.example").all<{ client_id: string }>();
    expect(consents.results.map((r) => r.client_id)).toEqual([kept.client_id]);
    const event = await env.DB.prepare("SELECT detail FROM events WHERE type = 'consent.revoked' AND client_id = ?").bind(gone.client_id).first<{ detail: string }>();
    expect(JSON.parse(event?.detail ?? "{}")).toMatchObject({ grants: 1 });
    // The next authorization of the revoked client asks for consent again.
    expect((await browser.fetch(authorizeUrl(gone, (await pkce()).challenge))).status).toBe(200);
  });

  it("says so when the client had no access, and changes nothing", async () => {
    const browser = new Browser();
    const client = await clientWithRefresh("Unrelated");
    const tokens = await connect(browser, client, "johnson@account.example");
    const page = await (await browser.fetch(`${BASE}/account`)).text();
    const res = await post(browser, page, "/account/revoke", { client_id: "no-such-client" });
    expect(await res.text()).toContain("That application had no access.");
    expect(await mcpStatus(tokens.access_token)).toBe(200);
  });

  it("refuses a revocation without the CSRF token (403), from a browser without a session (401), or without a client (400)", async () => {
    const browser = new Browser();
    const client = await clientWithRefresh("Guarded");
    const tokens = await connect(browser, client, "wu@account.example");
    const page = await (await browser.fetch(`${BASE}/account`)).text();
    const forged = await browser.fetch(`${BASE}/account/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, "Sec-Fetch-Site": "same-origin" },
      body: new URLSearchParams({ csrf: "A".repeat(43), client_id: client.client_id }),
    });
    expect(forged.status).toBe(403);
    const crossSite = await browser.fetch(`${BASE}/account/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
      body: new URLSearchParams({ csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "", client_id: client.client_id }),
    });
    expect(crossSite.status).toBe(403);
    const sessionless = new Browser();
    sessionless.setCookie("__Host-gh_csrf", browser.cookie("__Host-gh_csrf") ?? "");
    expect((await post(sessionless, page, "/account/revoke", { client_id: client.client_id })).status).toBe(401);
    expect((await post(browser, page, "/account/revoke", {})).status).toBe(400);
    expect(await mcpStatus(tokens.access_token)).toBe(200);
  });

  it("signs out everywhere: every grant revoked, the session ended here and in any other browser, consents kept", async () => {
    // Through the Worker's fetch, awaiting each request's background work: the sign-out's event is written when it answers.
    const browser = new Browser(env);
    const one = await clientWithRefresh("First App");
    const two = await clientWithRefresh("Second App");
    const oneTokens = await connect(browser, one, "turing@account.example");
    const twoTokens = await connect(browser, two, "turing@account.example");
    const copied = browser.cookie(SESSION) ?? "";
    const page = await (await browser.fetch(`${BASE}/account`)).text();
    const res = await post(browser, page, "/account/sign-out", { action: "sign-out" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Signed out everywhere");
    expect(browser.cookie(SESSION)).toBeUndefined();
    expect(await mcpStatus(oneTokens.access_token)).toBe(401);
    expect(await mcpStatus(twoTokens.access_token)).toBe(401);
    expect((await refresh(two, twoTokens)).status).toBe(400);
    // The same session cookie held by another browser no longer counts, at /account or at /authorize.
    const other = new Browser();
    other.setCookie(SESSION, copied);
    expect(await (await other.fetch(`${BASE}/account`)).text()).toContain("You are not signed in");
    expect((await other.fetch(authorizeUrl(one, (await pkce()).challenge))).status).toBe(200);
    const consents = await env.DB.prepare("SELECT COUNT(*) AS n FROM consents c JOIN users u ON u.id = c.user_id WHERE u.email = ?").bind("turing@account.example").first<{ n: number }>();
    expect(consents?.n).toBe(2);
    const signedOut = await env.DB.prepare("SELECT e.detail FROM events e JOIN users u ON u.id = e.user_id WHERE e.type = 'user.signed_out' AND u.email = ?").bind("turing@account.example").all<{ detail: string }>();
    expect(signedOut.results.map((e) => JSON.parse(e.detail))).toEqual([{ grants: 2, correlation_id: expect.any(String) }]);
    // Signing in again starts a new session that counts.
    const { challenge } = await pkce();
    const callback = await approveAndSignIn(browser, authorizeUrl(one, challenge), "turing@account.example");
    location(await browser.fetch(callback.href));
    expect(await (await browser.fetch(`${BASE}/account`)).text()).toContain("Signed in as turing@account.example");
  });

  it("drops a client the operator deletes from the list, with its consents", async () => {
    const browser = new Browser();
    const client = await clientWithRefresh("Deleted By Operator");
    await connect(browser, client, "shannon@account.example");
    const deleted = await exports.default.fetch(`${BASE}/admin/api/clients/${encodeURIComponent(client.client_id)}`, { method: "DELETE", headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` } });
    expect(deleted.status).toBe(200);
    expect(await (await browser.fetch(`${BASE}/account`)).text()).not.toContain("Deleted By Operator");
    expect(await env.DB.prepare("SELECT 1 AS x FROM consents WHERE client_id = ?").bind(client.client_id).first()).toBeNull();
  });
});
