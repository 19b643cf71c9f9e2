// Remembered consent and single sign-on: the session cookie set after a sign-in, the consent recorded in D1, and
// which later /authorize requests skip the consent page and the upstream login (issue 7, item 3).
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, Browser, location, parseForm } from "./helpers/browser";
import type { Env } from "../../src/env";
import { approveAndSignIn, authorizeUrl, grantOf, MCP_RESOURCE, mcpStatus, pkce, REDIRECT_URI, registerClient, type TestClient, tokenRequest } from "./helpers/oauth";

const SESSION = "__Host-gh_session";
const APP_REDIRECT = "https://app.sso.example/callback";

/** A confidential client returning to an https URI it owns: one whose remembered consent may skip the page. */
function confidentialClient(metadata: Record<string, unknown> = {}): Promise<TestClient> {
  return registerClient({ redirect_uris: [APP_REDIRECT], token_endpoint_auth_method: "client_secret_post", ...metadata });
}

/** A browser that has signed in once, through the consent page and the development IdP, to `client`. */
async function signedInBrowser(client: TestClient, email: string, params: Record<string, string | undefined> = {}, target?: Env): Promise<{ browser: Browser; redirect: URL }> {
  const browser = new Browser(target);
  const { challenge } = await pkce();
  const callback = await approveAndSignIn(browser, authorizeUrl(client, challenge, params), email);
  const redirect = location(await browser.fetch(callback.href));
  expect(redirect.searchParams.get("code")).toBeTruthy();
  return { browser, redirect };
}

/** The code of a redirect to the client, redeemed: the access token's claims and the token itself. */
async function redeem(client: TestClient, redirect: URL, verifier: string): Promise<{ sub: string; accessToken: string; refreshToken?: string }> {
  const code = redirect.searchParams.get("code");
  if (!code) throw new Error(`no code: ${redirect.search}`);
  const form: Record<string, string> = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: redirect.origin + redirect.pathname, client_id: client.client_id };
  if (client.client_secret) form.client_secret = client.client_secret;
  const res = await tokenRequest(form);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; refresh_token?: string };
  const payload = JSON.parse(atob(body.access_token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { sub: string };
  return { sub: payload.sub, accessToken: body.access_token, refreshToken: body.refresh_token };
}

function consentsOf(email: string) {
  return env.DB.prepare("SELECT c.client_id, c.redirect_host, c.scope FROM consents c JOIN users u ON u.id = c.user_id WHERE u.email = ? ORDER BY c.created_at, c.client_id")
    .bind(email)
    .all<{ client_id: string; redirect_host: string; scope: string }>()
    .then((r) => r.results);
}

describe("the session cookie and the recorded consent", () => {
  it("sets a __Host- session cookie (Secure, HttpOnly, SameSite=Lax, 30 days) after the callback and records the consent", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const { challenge } = await pkce();
    const callback = await approveAndSignIn(browser, authorizeUrl(client, challenge), "ada@sso.example");
    const res = await browser.fetch(callback.href);
    const cookie = res.headers.getAll("Set-Cookie").find((line) => line.startsWith(`${SESSION}=`));
    expect(cookie).toMatch(/; Max-Age=2592000/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/Domain=/);
    expect(await consentsOf("ada@sso.example")).toEqual([{ client_id: client.client_id, redirect_host: "http://127.0.0.1", scope: '["mcp"]' }]);
  });

  it("sets no session and records no consent when the sign-in is cancelled at the consent page", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const { challenge } = await pkce();
    const page = await browser.fetch(authorizeUrl(client, challenge));
    const cancelled = await browser.submit(await page.text(), { name: "decision", value: "cancel" });
    expect(location(cancelled).searchParams.get("error")).toBe("access_denied");
    expect(browser.cookie(SESSION)).toBeUndefined();
  });
});

describe("a second authorization from the same browser", () => {
  it("goes straight back to the client for the same client, redirect host and scopes: no consent page, no upstream login", async () => {
    const client = await confidentialClient();
    const { browser, redirect: first } = await signedInBrowser(client, "grace@sso.example");
    const { verifier, challenge } = await pkce();
    const res = await browser.fetch(authorizeUrl(client, challenge, { state: "second" }));
    const redirect = location(res);
    expect(redirect.origin + redirect.pathname).toBe(APP_REDIRECT);
    expect(redirect.searchParams.get("state")).toBe("second");
    expect(redirect.searchParams.get("iss")).toBe(BASE);
    const second = await redeem(client, redirect, verifier);
    expect(await mcpStatus(second.accessToken)).toBe(200);
    expect(second.sub).toBe((await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind("grace@sso.example").first<{ id: string }>())?.id);
    expect(first.searchParams.get("code")).not.toBe(redirect.searchParams.get("code"));
  });

  it("shows the consent page for another protected resource: a consent given for /mcp does not cover a gateway server", async () => {
    const withServer = { ...env, MCP_SERVERS: JSON.stringify([{ name: "docs", label: "Docs search", origin: "https://docs.sso.example/mcp" }]) } as Env;
    const client = await confidentialClient();
    const { browser } = await signedInBrowser(client, "noether@sso.example", {}, withServer);
    const docs = { resource: `${BASE}/mcp/docs` };
    const { challenge } = await pkce();
    const page = await browser.fetch(authorizeUrl(client, challenge, docs));
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain("Docs search");
    const approved = location(await browser.submit(html, { name: "decision", value: "approve" }));
    expect(approved.origin + approved.pathname).toBe(APP_REDIRECT);
    const recorded = await env.DB.prepare("SELECT c.resources FROM consents c JOIN users u ON u.id = c.user_id WHERE u.email = ?").bind("noether@sso.example").first<{ resources: string }>();
    expect(JSON.parse(recorded!.resources)).toEqual([MCP_RESOURCE, `${BASE}/mcp/docs`]);
    for (const params of [docs, {}]) {
      const again = location(await browser.fetch(authorizeUrl(client, challenge, params)));
      expect(again.origin + again.pathname).toBe(APP_REDIRECT);
    }
  });

  it("always shows the consent page to a public client returning to a loopback port, and after Approve lends the live grant's identity", async () => {
    const client = await registerClient();
    const { browser } = await signedInBrowser(client, "lovelace@sso.example");
    const { verifier, challenge } = await pkce();
    // The attack of RFC 8252 §8.6: the same client_id, another local port and another PKCE pair.
    const page = await browser.fetch(authorizeUrl(client, challenge, { redirect_uri: "http://127.0.0.1:50123/callback", state: "local" }));
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toBe("text/html; charset=UTF-8");
    const html = await page.text();
    expect(html).toContain("Allow <strong>Test Client</strong>");
    const redirect = location(await browser.submit(html, { name: "decision", value: "approve" }));
    expect(redirect.origin + redirect.pathname).toBe("http://127.0.0.1:50123/callback");
    expect(redirect.searchParams.get("state")).toBe("local");
    const second = await redeem(client, redirect, verifier);
    expect(second.sub).toBe((await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind("lovelace@sso.example").first<{ id: string }>())?.id);
  });

  it("always shows the consent page to a public client returning to a private-use scheme", async () => {
    const client = await registerClient({ redirect_uris: ["cursor://anysphere.cursor-retrieval/oauth/callback"] });
    const { browser } = await signedInBrowser(client, "cursor@sso.example");
    const page = await browser.fetch(authorizeUrl(client, (await pkce()).challenge));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("the app that opens cursor:// links");
  });

  it("shows the consent page for another client, and after approval needs no upstream login", async () => {
    const first = await registerClient();
    const { browser } = await signedInBrowser(first, "hopper@sso.example");
    const other = await registerClient({ client_name: "Other Client" });
    const { verifier, challenge } = await pkce();
    const page = await browser.fetch(authorizeUrl(other, challenge));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Other Client");
    const approved = await browser.submit(html, { name: "decision", value: "approve" });
    const redirect = location(approved);
    expect(redirect.href.startsWith(REDIRECT_URI)).toBe(true);
    await redeem(other, redirect, verifier);
    expect((await consentsOf("hopper@sso.example")).map((c) => c.client_id).sort()).toEqual([first.client_id, other.client_id].sort());
  });

  it("shows the consent page when the request asks for more scopes than were approved, and remembers the union", async () => {
    const client = await confidentialClient({ grant_types: ["authorization_code", "refresh_token"] });
    const { browser } = await signedInBrowser(client, "lamarr@sso.example");
    const { challenge } = await pkce();
    const page = await browser.fetch(authorizeUrl(client, challenge, { scope: "mcp offline_access" }));
    expect(page.status).toBe(200);
    location(await browser.submit(await page.text(), { name: "decision", value: "approve" }));
    expect((await consentsOf("lamarr@sso.example"))[0]?.scope).toBe('["mcp","offline_access"]');
    // A subset of what was approved is remembered.
    expect(location(await browser.fetch(authorizeUrl(client, (await pkce()).challenge, { scope: "offline_access" }))).searchParams.get("code")).toBeTruthy();
  });

  it("shows the consent page for another redirect host of the same client", async () => {
    const client = await confidentialClient({ redirect_uris: [APP_REDIRECT, "https://other.sso.example/callback"] });
    const { browser } = await signedInBrowser(client, "noether@sso.example");
    const page = await browser.fetch(authorizeUrl(client, (await pkce()).challenge, { redirect_uri: "https://other.sso.example/callback" }));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("other.sso.example");
  });

  it("always shows the consent page with prompt=consent", async () => {
    const client = await registerClient();
    const { browser } = await signedInBrowser(client, "curie@sso.example");
    const page = await browser.fetch(authorizeUrl(client, (await pkce()).challenge, { prompt: "consent" }));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Allow");
  });

  it("skips consent but signs in upstream again with prompt=login", async () => {
    const client = await confidentialClient();
    const { browser } = await signedInBrowser(client, "franklin@sso.example");
    const upstream = location(await browser.fetch(authorizeUrl(client, (await pkce()).challenge, { prompt: "login" })));
    expect(upstream.pathname).toBe("/dev-idp/authorize");
    expect(upstream.searchParams.get("prompt")).toBe("login");
    const login = await browser.fetch(upstream.href);
    const callback = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email: "franklin@sso.example" }));
    expect(location(await browser.fetch(callback.href)).searchParams.get("code")).toBeTruthy();
  });

  it("shows consent again when prompt=login signs in someone else than the remembered consent's person", async () => {
    const client = await confidentialClient();
    const { browser } = await signedInBrowser(client, "first@sso.example");
    const upstream = location(await browser.fetch(authorizeUrl(client, (await pkce()).challenge, { prompt: "login", state: "switch" })));
    const login = await browser.fetch(upstream.href);
    const callback = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email: "second@sso.example" }));
    const again = location(await browser.fetch(callback.href));
    expect(again.pathname).toBe("/authorize");
    expect(again.searchParams.get("prompt")).toBe("consent login");
    expect(again.searchParams.get("state")).toBe("switch");
    const page = await browser.fetch(again.href);
    expect(page.status).toBe(200);
    const upstreamAgain = location(await browser.submit(await page.text(), { name: "decision", value: "approve" }));
    expect(upstreamAgain.searchParams.get("prompt")).toBe("login");
    const login2 = await browser.fetch(upstreamAgain.href);
    const callback2 = location(await browser.submit(await login2.text(), { name: "action", value: "login" }, { email: "second@sso.example" }));
    const done = location(await browser.fetch(callback2.href));
    expect(done.searchParams.get("code")).toBeTruthy();
    expect(done.searchParams.get("state")).toBe("switch");
    expect((await consentsOf("second@sso.example")).map((c) => c.client_id)).toEqual([client.client_id]);
  });

  it("asks the upstream with prompt=none when no live grant remains, and falls back to its login page when it needs the person", async () => {
    const client = await confidentialClient({ grant_types: ["authorization_code", "refresh_token"] });
    const { verifier: v1, challenge: c1 } = await pkce();
    const browser = new Browser();
    const callback = await approveAndSignIn(browser, authorizeUrl(client, c1, { scope: "mcp offline_access" }), "meitner@sso.example");
    const { refreshToken } = await redeem(client, location(await browser.fetch(callback.href)), v1);
    // The client revokes its only grant: the consent stays, no identity is left to lend.
    const revoked = await exports.default.fetch(`${BASE}/revoke`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token: refreshToken ?? "", client_id: client.client_id, client_secret: client.client_secret ?? "" }) });
    expect(revoked.status).toBe(200);
    const silent = location(await browser.fetch(authorizeUrl(client, (await pkce()).challenge, { scope: "mcp offline_access", state: "silent" })));
    expect(silent.pathname).toBe("/dev-idp/authorize");
    expect(silent.searchParams.get("prompt")).toBe("none");
    const refused = location(await browser.fetch(silent.href));
    expect(refused.searchParams.get("error")).toBe("login_required");
    const again = location(await browser.fetch(refused.href));
    expect(again.pathname).toBe("/authorize");
    expect(again.searchParams.get("prompt")).toBe("login");
    const interactive = location(await browser.fetch(again.href));
    expect(interactive.searchParams.get("prompt")).toBe("login");
    const login = await browser.fetch(interactive.href);
    const back = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email: "meitner@sso.example" }));
    const done = location(await browser.fetch(back.href));
    expect(done.searchParams.get("code")).toBeTruthy();
    expect(done.searchParams.get("state")).toBe("silent");
  });

  it("ignores a session cookie that was altered, and a browser without one", async () => {
    const client = await confidentialClient();
    const { browser } = await signedInBrowser(client, "tampered@sso.example");
    const token = browser.cookie(SESSION) ?? "";
    browser.setCookie(SESSION, `${token.slice(0, -4)}AAAA`);
    expect((await browser.fetch(authorizeUrl(client, (await pkce()).challenge))).status).toBe(200);
    browser.setCookie(SESSION, "not-a-jwt");
    expect((await browser.fetch(authorizeUrl(client, (await pkce()).challenge))).status).toBe(200);
    expect((await new Browser().fetch(authorizeUrl(client, (await pkce()).challenge))).status).toBe(200);
  });
});

describe("single sign-on never stretches an old upstream login (SSO_MAX_AGE)", () => {
  const HOUR = 3_600_000;

  /** Moves the upstream authentication time of the grant behind `code` back to `authTime`. */
  function setAuthTime(code: string, authTime: number): Promise<void> {
    return runInDurableObject(grantOf(code), (_i, state) => {
      state.storage.sql.exec("UPDATE grant_state SET auth_time = ?", authTime);
    });
  }

  it("lends a grant's identity within SSO_MAX_AGE of its upstream login, and the lent grant ends REFRESH_MAX_TTL after that login", async () => {
    const client = await confidentialClient({ grant_types: ["authorization_code", "refresh_token"] });
    const { browser, redirect: first } = await signedInBrowser(client, "hamilton@sso.example");
    const authTime = Date.now() - 20 * HOUR;
    await setAuthTime(first.searchParams.get("code") ?? "", authTime);
    const { verifier, challenge } = await pkce();
    const res = await browser.fetch(authorizeUrl(client, challenge, { state: "lent" }));
    const redirect = location(res);
    expect(redirect.origin + redirect.pathname).toBe(APP_REDIRECT);
    // The session is not restarted by a lent login: it never outlives the upstream login it came from.
    expect(res.headers.getAll("Set-Cookie").some((line) => line.startsWith(`${SESSION}=`))).toBe(false);
    const code = redirect.searchParams.get("code") ?? "";
    await redeem(client, redirect, verifier);
    const row = await runInDurableObject(grantOf(code), (_i, state) => state.storage.sql.exec<{ auth_time: number; max_expires_at: number }>("SELECT auth_time, max_expires_at FROM grant_state").one());
    expect(row).toEqual({ auth_time: authTime, max_expires_at: authTime + 90 * 86_400_000 });
  });

  it("does not lend a grant whose upstream login is older than SSO_MAX_AGE: the upstream is asked again with prompt=none", async () => {
    const client = await confidentialClient();
    const { browser, redirect: first } = await signedInBrowser(client, "johnson@sso.example");
    await setAuthTime(first.searchParams.get("code") ?? "", Date.now() - 25 * HOUR);
    const silent = location(await browser.fetch(authorizeUrl(client, (await pkce()).challenge, { state: "old" })));
    expect(silent.pathname).toBe("/dev-idp/authorize");
    expect(silent.searchParams.get("prompt")).toBe("none");
  });

  it("does not lend after Approve either when the only grant's upstream login is too old: the upstream login page is shown", async () => {
    const client = await registerClient();
    const { browser, redirect: first } = await signedInBrowser(client, "vaughan@sso.example");
    await setAuthTime(first.searchParams.get("code") ?? "", Date.now() - 25 * HOUR);
    const page = await browser.fetch(authorizeUrl(client, (await pkce()).challenge));
    const upstream = location(await browser.submit(await page.text(), { name: "decision", value: "approve" }));
    expect(upstream.pathname).toBe("/dev-idp/authorize");
    expect(upstream.searchParams.get("prompt")).toBeNull();
  });
});

describe("the consent page of a signed-in browser: Continue as, or Use another account", () => {
  it("says which account single sign-on will use, with a Continue as button and a Use another account button in the CSRF-protected form", async () => {
    const client = await registerClient();
    const { browser } = await signedInBrowser(client, "wu@sso.example");
    const page = await browser.fetch(authorizeUrl(client, (await pkce()).challenge));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("You are signed in with Development sign-in as <strong>wu@sso.example</strong>.");
    const form = parseForm(html);
    expect(form.buttons).toEqual([
      { name: "decision", value: "approve", formaction: undefined },
      { name: "decision", value: "another_account", formaction: undefined },
      { name: "decision", value: "cancel", formaction: undefined },
    ]);
    expect(html).toMatch(/<button class="primary" type="submit" name="decision" value="approve">Continue as wu@sso\.example<\/button>/);
    expect(html).toMatch(/<button type="submit" name="decision" value="another_account">Use another account<\/button>/);
    expect(Object.fromEntries(form.hidden).csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("shows Approve and no account to a browser that is not signed in", async () => {
    const client = await registerClient();
    const html = await (await new Browser().fetch(authorizeUrl(client, (await pkce()).challenge))).text();
    expect(html).not.toContain("Continue as");
    expect(html).not.toContain("Use another account");
    expect(parseForm(html).buttons.map((b) => b.value)).toEqual(["approve", "cancel"]);
  });

  it("Continue as lends the signed-in person's identity: no upstream login", async () => {
    const client = await registerClient();
    const { browser } = await signedInBrowser(client, "yalow@sso.example");
    const { verifier, challenge } = await pkce();
    const page = await browser.fetch(authorizeUrl(client, challenge));
    const redirect = location(await browser.submit(await page.text(), { name: "decision", value: "approve" }));
    expect(redirect.origin + redirect.pathname).toBe("http://127.0.0.1:33418/callback");
    const { sub } = await redeem(client, redirect, verifier);
    expect(sub).toBe((await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind("yalow@sso.example").first<{ id: string }>())?.id);
  });

  it("Use another account asks the provider with prompt=login, lends nothing, and signs in whoever logs in there", async () => {
    const client = await registerClient();
    const { browser } = await signedInBrowser(client, "first-account@sso.example");
    const { verifier, challenge } = await pkce();
    const page = await browser.fetch(authorizeUrl(client, challenge, { state: "switch-account" }));
    const upstream = location(await browser.submit(await page.text(), { name: "decision", value: "another_account" }));
    expect(upstream.pathname).toBe("/dev-idp/authorize");
    expect(upstream.searchParams.get("prompt")).toBe("login");
    const login = await browser.fetch(upstream.href);
    const callback = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email: "second-account@sso.example" }));
    const done = await browser.fetch(callback.href);
    const redirect = location(done);
    expect(redirect.searchParams.get("state")).toBe("switch-account");
    expect(done.headers.getAll("Set-Cookie").some((line) => line.startsWith(`${SESSION}=`))).toBe(true);
    const { sub } = await redeem(client, redirect, verifier);
    expect(sub).toBe((await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind("second-account@sso.example").first<{ id: string }>())?.id);
    // The next consent page continues as the account now signed in.
    expect(await (await browser.fetch(authorizeUrl(client, (await pkce()).challenge))).text()).toContain("Continue as second-account@sso.example");
  });

  it("refuses Use another account without the CSRF token, changing nothing", async () => {
    const client = await registerClient();
    const { browser } = await signedInBrowser(client, "csrf-switch@sso.example");
    const html = await (await browser.fetch(authorizeUrl(client, (await pkce()).challenge))).text();
    const fields = parseForm(html).hidden.filter(([name]) => name !== "csrf");
    const grants = await env.DB.prepare("SELECT COUNT(*) AS n FROM grants").first<{ n: number }>();
    const res = await browser.fetch(`${BASE}/authorize`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, "Sec-Fetch-Site": "same-origin" },
      body: new URLSearchParams([...fields, ["decision", "another_account"]]),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("Location")).toBeNull();
    expect(await res.text()).toContain("This form has expired");
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM grants").first<{ n: number }>()).toEqual(grants);
  });
});
