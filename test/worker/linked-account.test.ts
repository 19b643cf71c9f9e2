// /account's linked providers: listed with the account and the servers needing it, and Disconnect — which forgets the
// link and revokes the grant holding its tokens, but never the person's other grants when no server requires the
// provider (the empty resource list is "none", not "all"). Forms are CSRF-checked and name a link the person has.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { recordLink } from "../../src/db/links";
import { BASE, Browser, location } from "./helpers/browser";
import { authorizeUrl, mcpStatus, pkce, registerClient, type TestClient, tokenRequest } from "./helpers/oauth";

/** Signs `client` in through `browser` at the development IdP as `email`; the access token. */
async function connect(browser: Browser, client: TestClient, email: string): Promise<string> {
  const { verifier, challenge } = await pkce();
  const approved = location(await browser.submit(await (await browser.fetch(authorizeUrl(client, challenge))).text(), { name: "decision", value: "approve" }));
  let redirect = approved;
  // A browser already signed in continues by single sign-on, straight back to the client.
  if (approved.pathname === "/dev-idp/authorize") {
    const login = await browser.fetch(approved.href);
    const callback = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email }));
    redirect = location(await browser.fetch(callback.href));
  }
  const res = await tokenRequest({ grant_type: "authorization_code", code: redirect.searchParams.get("code") ?? "", code_verifier: verifier, redirect_uri: client.redirect_uris[0] ?? "", client_id: client.client_id }, {}, env);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

function post(browser: Browser, html: string, fields: Record<string, string>): Promise<Response> {
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return browser.fetch(`${BASE}/account/disconnect`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, "Sec-Fetch-Site": "same-origin" },
    body: new URLSearchParams({ csrf, ...fields }),
  });
}

describe("/account linked providers", () => {
  it("lists a link and disconnects it: the holding grant is revoked, the person's other grant is not", async () => {
    const browser = new Browser(env);
    const holderClient = await registerClient({ client_name: "Link Holder" });
    const otherClient = await registerClient({ client_name: "Other App" });
    const holderToken = await connect(browser, holderClient, "linus@links.example");
    const otherToken = await connect(browser, otherClient, "linus@links.example");
    const user = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind("linus@links.example").first<{ id: string }>();
    const grant = await env.DB.prepare("SELECT id FROM grants WHERE user_id = ? AND client_id = ?").bind(user?.id, holderClient.client_id).first<{ id: string }>();
    await recordLink(env.DB, { userId: user?.id ?? "", provider: "github", subject: "583231", label: "octo@github.example", grantId: grant?.id ?? "", linkedAt: Math.floor(Date.now() / 1000) });

    const page = await (await browser.fetch(`${BASE}/account`)).text();
    expect(page).toContain("Linked providers");
    expect(page).toContain("octo@github.example");
    expect(page).not.toContain("not in use");

    const refused = await post(browser, page, { provider: "gitlab" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Choose the provider to disconnect");
    const forged = await browser.fetch(`${BASE}/account/disconnect`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, "Sec-Fetch-Site": "same-origin" },
      body: new URLSearchParams({ csrf: "forged", provider: "github" }),
    });
    expect(forged.status).toBe(403);
    expect(await mcpStatus(holderToken, env)).toBe(200);

    const done = await post(browser, page, { provider: "github" });
    expect(done.status).toBe(200);
    const after = await done.text();
    expect(after).toContain("github disconnected");
    expect(after).not.toContain("Linked providers");
    expect(await mcpStatus(holderToken, env)).toBe(401);
    expect(await mcpStatus(otherToken, env)).toBe(200);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM provider_links WHERE user_id = ?").bind(user?.id).first<{ n: number }>()).toEqual({ n: 0 });
    const event = await env.DB.prepare("SELECT detail FROM events WHERE type = 'provider.disconnected' AND user_id = ?").bind(user?.id).first<{ detail: string }>();
    expect(JSON.parse(event?.detail ?? "{}")).toMatchObject({ provider: "github", grants: 1 });
  });
});
