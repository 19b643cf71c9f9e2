// The whole authorization code flow through the Worker: /authorize → consent → development IdP → /callback →
// /token → /mcp whoami, plus the callback's one-time and browser-binding rules.
import { env, exports } from "cloudflare:workers";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { BASE, Browser, location } from "./helpers/browser";
import { approveAndSignIn, authorize, authorizeUrl, grantOf, MCP_RESOURCE, pkce, REDIRECT_URI, registerClient, tokenRequest } from "./helpers/oauth";

async function events(type: string): Promise<{ grant_id: string | null; client_id: string | null; user_id: string | null; detail: string | null }[]> {
  const { results } = await env.DB.prepare("SELECT grant_id, client_id, user_id, detail FROM events WHERE type = ? ORDER BY id").bind(type).all();
  return results as { grant_id: string | null; client_id: string | null; user_id: string | null; detail: string | null }[];
}

async function whoami(accessToken: string): Promise<Response> {
  return exports.default.fetch(`${BASE}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } }),
  });
}

/** The events of `type` about one grant or one user: the events table is shared by every test of this file. */
async function eventsAbout(type: string, about: { grant_id: string } | { user_id: string }): Promise<unknown[]> {
  const [column, id] = Object.entries(about)[0] ?? [];
  return (await events(type)).filter((e) => e[column as keyof typeof e] === id);
}

describe("the authorization code flow", () => {
  it("signs a user in end to end and the access token calls whoami as that user", async () => {
    const client = await registerClient({ client_name: "Flow Client" });
    const { verifier, challenge } = await pkce();
    // Through the Worker's fetch with each request's background work (events, grant index) awaited before it answers.
    const browser = new Browser(env);

    const consent = await browser.fetch(authorizeUrl(client, challenge));
    expect(consent.status).toBe(200);
    const approved = await browser.submit(await consent.text(), { name: "decision", value: "approve" });
    const upstream = location(approved);
    expect(`${upstream.origin}${upstream.pathname}`).toBe(`${BASE}/dev-idp/authorize`);
    expect(upstream.searchParams.get("state")).toMatch(/^gh1s_[0-9a-f]{64}\.[A-Za-z0-9_-]{43}$/);
    expect(upstream.searchParams.get("redirect_uri")).toBe(`${BASE}/callback`);

    const login = await browser.fetch(upstream.href);
    const callback = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email: "Ada@Analytical.Example", name: "Ada" }));
    expect(`${callback.origin}${callback.pathname}`).toBe(`${BASE}/callback`);
    const back = await browser.fetch(callback.href);
    expect(back.status).toBe(302);
    expect(back.headers.get("Cache-Control")).toBe("no-store");
    const redirect = location(back);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    const code = redirect.searchParams.get("code") ?? "";
    expect(code).toMatch(/^gh1c_[0-9a-f]{64}\.[A-Za-z0-9_-]{43}$/);
    expect(code.slice(5, 69)).toBe(upstream.searchParams.get("state")?.slice(5, 69));
    expect(redirect.searchParams.get("state")).toBe("client-state-123");
    expect(redirect.searchParams.get("iss")).toBe(BASE);

    const res = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id, resource: MCP_RESOURCE }, {}, env);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Pragma")).toBe("no-cache");
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    expect(body).toEqual({ access_token: expect.any(String), token_type: "Bearer", expires_in: 3600, scope: "mcp", refresh_token: expect.stringMatching(/^gh1r_/) });
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    const claims = decodeJwt(body.access_token);
    const user = await env.DB.prepare("SELECT * FROM users WHERE provider = 'dev'").first<Record<string, unknown>>();
    expect(claims).toMatchObject({
      iss: BASE,
      aud: MCP_RESOURCE,
      sub: user?.id,
      client_id: client.client_id,
      scope: "mcp",
      sid: code.slice(5, 69),
      email: "ada@analytical.example",
      email_verified: true,
      domain: "analytical.example",
      org_id: "analytical.example",
    });
    expect(user).toMatchObject({ id: expect.stringMatching(/^usr_[A-Za-z0-9_-]{22}$/), email: "ada@analytical.example", email_verified: 1, domain: "analytical.example", name: "Ada" });

    const mcp = await whoami(body.access_token);
    expect(mcp.status).toBe(200);
    const { result } = (await mcp.json()) as { result: { structuredContent: Record<string, unknown> } };
    expect(result.structuredContent).toMatchObject({
      authenticated: true,
      subject: user?.id,
      email: "ada@analytical.example",
      email_verified: true,
      domain: "analytical.example",
      client_id: client.client_id,
      scopes: ["mcp"],
    });

    const grantId = code.slice(5, 69);
    const indexed = await env.DB.prepare("SELECT * FROM grants WHERE id = ?").bind(grantId).first<Record<string, unknown>>();
    expect(indexed).toMatchObject({ user_id: user?.id, client_id: client.client_id, scope: "mcp", status: "active" });
    expect(await grantOf(code).checkLive()).toBe(true);
    for (const type of ["grant.created", "code.issued", "code.redeemed"]) expect(await eventsAbout(type, { grant_id: grantId }), type).toHaveLength(1);
    expect(await eventsAbout("user.created", { user_id: String(user?.id) })).toHaveLength(1);
    const issued = await events("code.issued");
    expect(issued.at(-1)).toMatchObject({ grant_id: grantId, client_id: client.client_id, user_id: user?.id });
  });

  it("keeps one internal user id for the same upstream account across sign-ins", async () => {
    const client = await registerClient();
    const first = await authorize(client, (await pkce()).challenge, { email: "grace@navy.example" });
    const second = await authorize(client, (await pkce()).challenge, { email: "grace@navy.example" });
    expect(first.searchParams.get("code")).not.toBe(second.searchParams.get("code"));
    const { results } = await env.DB.prepare("SELECT id FROM users WHERE email = 'grace@navy.example'").all();
    expect(results).toHaveLength(1);
  });

  it("shows an error page when the callback is replayed, and issues no second code", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const callback = await approveAndSignIn(browser, authorizeUrl(client, (await pkce()).challenge));
    expect((await browser.fetch(callback.href)).status).toBe(302);
    const replay = await browser.fetch(callback.href);
    expect(replay.status).toBe(400);
    expect(replay.headers.get("Location")).toBeNull();
    expect(replay.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await replay.text()).toContain("This sign-in was already used");
  });

  it("refuses a callback from a browser without the binding cookie and revokes the grant", async () => {
    const client = await registerClient();
    const browser = new Browser(env);
    const callback = await approveAndSignIn(browser, authorizeUrl(client, (await pkce()).challenge));
    const other = new Browser(env);
    const res = await other.fetch(callback.href);
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
    expect(await res.text()).toContain("Sign-in started in another browser");
    // The real browser cannot finish it either: the state reached someone else.
    const late = await browser.fetch(callback.href);
    expect(late.status).toBe(400);
    const state = callback.searchParams.get("state") ?? "";
    expect(await grantOf(state).revoke("test")).toEqual({ ok: true, wasLive: false, upstream: [] });
    expect(await eventsAbout("grant.revoked", { grant_id: state.slice(5, 69) })).toHaveLength(1);
  });

  it.each([
    ["no state", ""],
    ["a malformed state", "?state=not-a-handle&code=x"],
    ["an unknown grant", `?state=gh1s_${"ab".repeat(32)}.${"A".repeat(43)}&code=x`],
  ])("shows an error page for a callback with %s", async (_name, query) => {
    const res = await new Browser().fetch(`${BASE}/callback${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
    expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("sends access_denied with state and iss to the client when the person cancels at the IdP, and deletes the grant", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const consent = await browser.fetch(authorizeUrl(client, (await pkce()).challenge));
    const upstream = location(await browser.submit(await consent.text(), { name: "decision", value: "approve" }));
    const login = await browser.fetch(upstream.href);
    const callback = location(await browser.submit(await login.text(), { name: "action", value: "cancel" }));
    const redirect = location(await browser.fetch(callback.href));
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    expect(Object.fromEntries(redirect.searchParams)).toEqual({
      error: "access_denied",
      error_description: "the user cancelled the sign-in at the identity provider",
      state: "client-state-123",
      iss: BASE,
    });
    expect(await grantOf(upstream.searchParams.get("state") ?? "").revoke("test")).toMatchObject({ ok: false, error: "not_found" });
    expect((await events("login.failed")).some((e) => e.detail?.includes("access_denied"))).toBe(true);
  });

  it("shows an error page with a reference when the upstream code exchange fails, and issues nothing", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const callback = await approveAndSignIn(browser, authorizeUrl(client, (await pkce()).challenge));
    callback.searchParams.set("code", "forged-upstream-code");
    const res = await browser.fetch(callback.href);
    expect(res.status).toBe(502);
    expect(res.headers.get("Location")).toBeNull();
    const html = await res.text();
    expect(html).toContain("Sign-in failed");
    expect(html).toMatch(/quote the reference <code>[0-9a-f-]{36}<\/code>/);
    expect(await grantOf(callback.searchParams.get("state") ?? "").revoke("test")).toMatchObject({ ok: false, error: "not_found" });
  });
});
