// The admin console at /admin (issue 18): sign-in through /authorize and the development IdP as the console's own
// client, admission by ADMIN_EMAILS / ADMIN_DOMAINS, its short session, CSRF- and origin-checked actions recorded with
// the acting person, blocking (sign-in refused, grants revoked, refresh refused), the refresh's standing re-check, the
// feedback tool, and the usage export per organisation.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { verifySignature } from "../../src/webhook/signature";
import { BASE, Browser, location, workerFetch } from "./helpers/browser";
import { countingD1 } from "./helpers/d1";
import { authorizeUrl, pkce, registerClient, type TestClient, tokenRequest } from "./helpers/oauth";

const ADMIN = "root@console.example";
const target = { ...env, ADMIN_EMAILS: ADMIN, ADMIN_SESSION_TTL: "600" } as Env;
const send = workerFetch(target);

/** Follows the console's sign-in from /admin/sign-in to the overview, through consent (first time) and the development IdP. */
async function signInToConsole(browser: Browser, email: string): Promise<Response> {
  const authorize = location(await browser.fetch(`${BASE}/admin/sign-in`));
  expect(authorize.pathname).toBe("/authorize");
  expect(authorize.searchParams.get("prompt")).toBe("login");
  let step = await browser.fetch(authorize.href);
  if (step.status === 200) step = await browser.submit(await step.text(), { name: "decision", value: "approve" });
  const login = await browser.fetch(location(step).href);
  expect(login.status).toBe(200);
  const callback = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email, name: "Console Person" }));
  const back = location(await browser.fetch(callback.href));
  expect(back.pathname).toBe("/admin/callback");
  return browser.fetch(back.href);
}

async function adminBrowser(): Promise<Browser> {
  const browser = new Browser(target);
  const res = await signInToConsole(browser, ADMIN);
  expect(location(res).pathname).toBe("/admin");
  return browser;
}

/** Posts a console form with the page's CSRF token, as the browser does. */
async function post(browser: Browser, action: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
  const page = await (await browser.fetch(`${BASE}/admin`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
  return browser.fetch(`${BASE}${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, "Sec-Fetch-Site": "same-origin", ...headers },
    body: new URLSearchParams({ csrf, ...fields }),
  });
}

interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** Signs `email` in with a new public client (through the console's configuration), and redeems the code. */
async function connect(email: string, config: Env = target): Promise<{ client: TestClient; tokens: Tokens; userId: string }> {
  const client = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
  const browser = new Browser(config);
  const { verifier, challenge } = await pkce();
  const consent = await browser.fetch(authorizeUrl(client, challenge, { scope: "mcp offline_access" }));
  const approved = await browser.submit(await consent.text(), { name: "decision", value: "approve" });
  const login = await browser.fetch(location(approved).href);
  const callback = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email }));
  const redirect = location(await browser.fetch(callback.href));
  const res = await tokenRequest({ grant_type: "authorization_code", code: redirect.searchParams.get("code") ?? "", code_verifier: verifier, redirect_uri: client.redirect_uris[0] ?? "", client_id: client.client_id }, {}, config);
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as Tokens;
  const row = await env.DB.prepare("SELECT id FROM users WHERE lower(email) = ?").bind(email.toLowerCase()).first<{ id: string }>();
  return { client, tokens, userId: row?.id ?? "" };
}

function refresh(client: TestClient, tokens: Tokens, config: Env = target): Promise<Response> {
  return tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: client.client_id }, {}, config);
}

async function mcp(accessToken: string, method: string, params?: unknown, config: Env = target): Promise<{ status: number; body: { result?: { isError?: boolean; tools?: { name: string; description: string }[]; structuredContent?: { id: string } } } }> {
  const res = await workerFetch(config)(`${BASE}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, ...(params === undefined ? {} : { params }) }),
  });
  return { status: res.status, body: res.status === 200 ? await res.json() : {} };
}

async function events(type: string, userId?: string): Promise<{ detail: string | null; user_id: string | null }[]> {
  const { results } = await env.DB.prepare(`SELECT detail, user_id FROM events WHERE type = ? ${userId ? "AND user_id = ?" : ""} ORDER BY id`)
    .bind(...(userId ? [type, userId] : [type]))
    .all<{ detail: string | null; user_id: string | null }>();
  return results;
}

describe("the admin console's door", () => {
  it("does not exist without ADMIN_EMAILS, ADMIN_DOMAINS or ADMIN_GROUPS", async () => {
    const res = await new Browser().fetch(`${BASE}/admin`);
    expect(res.status).toBe(404);
  });

  it("shows a sign-in page to a browser without a session, as a page that cannot be framed or cached", async () => {
    const res = await send(`${BASE}/admin`, {});
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('href="/admin/sign-in"');
    expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("signs an administrator in through /authorize and the development IdP, revokes the sign-in's grant and records the sign-in", async () => {
    const browser = await adminBrowser();
    const overview = await browser.fetch(`${BASE}/admin`);
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toContain("<svg");
    expect(html).toContain("Active people");
    expect(html).toContain(ADMIN);
    const admin = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(ADMIN).first<{ id: string }>();
    expect((await events("admin.signed_in", admin?.id)).length).toBeGreaterThan(0);
    const live = await env.DB.prepare("SELECT COUNT(*) AS n FROM grants WHERE client_id = 'gatehouse-console' AND user_id = ? AND status = 'active'").bind(admin?.id).first<{ n: number }>();
    expect(live?.n).toBe(0);
  });

  it("refuses a signed-in person who is no administrator, with a page and an event", async () => {
    const browser = new Browser(target);
    const res = await signInToConsole(browser, "visitor@elsewhere.example");
    expect(location(res).pathname).toBe("/admin");
    const refused = await browser.fetch(`${BASE}/admin`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("Not an administrator");
    const user = await env.DB.prepare("SELECT id FROM users WHERE email = 'visitor@elsewhere.example'").first<{ id: string }>();
    expect(await events("admin.refused", user?.id)).toHaveLength(1);
    expect((await browser.fetch(`${BASE}/admin/people`)).status).toBe(403);
  });

  it("admits by ADMIN_DOMAINS too", async () => {
    const byDomain = { ...env, ADMIN_DOMAINS: "ops.example" } as Env;
    const browser = new Browser(byDomain);
    expect(location(await signInToConsole(browser, "oncall@ops.example")).pathname).toBe("/admin");
    expect((await browser.fetch(`${BASE}/admin`)).status).toBe(200);
  });

  it("refuses a callback whose state is not this browser's", async () => {
    const browser = new Browser(target);
    const res = await browser.fetch(`${BASE}/admin/callback?code=gh1c_x.y&state=forged&iss=${encodeURIComponent(BASE)}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("This sign-in has expired");
  });

  it("refuses a form without the CSRF token, and one from another origin, changing nothing", async () => {
    const browser = await adminBrowser();
    const { userId } = await connect("csrf-target@example.com");
    const missing = await browser.fetch(`${BASE}/admin/people/${userId}/block`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE }, body: "" });
    expect(missing.status).toBe(403);
    const crossSite = await post(browser, `/admin/people/${userId}/block`, {}, { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const row = await env.DB.prepare("SELECT blocked_at FROM users WHERE id = ?").bind(userId).first<{ blocked_at: number | null }>();
    expect(row?.blocked_at).toBeNull();
  });
});

describe("the console's pages and actions", () => {
  it("finds people by domain, shows a person's grants, usage and events, and revokes one grant", async () => {
    const browser = await adminBrowser();
    const { tokens, userId } = await connect("grace@people.example");
    expect((await mcp(tokens.access_token, "tools/call", { name: "whoami", arguments: {} })).status).toBe(200);
    const list = await (await browser.fetch(`${BASE}/admin/people?domain=people.example&email=&org=`)).text();
    expect(list).toContain("grace@people.example");
    const personPage = await browser.fetch(`${BASE}/admin/people/${userId}`);
    expect(personPage.status).toBe(200);
    const html = await personPage.text();
    expect(html).toContain("Grants");
    expect(html).toContain("code.issued");
    const grant = await env.DB.prepare("SELECT id FROM grants WHERE user_id = ? AND status = 'active'").bind(userId).first<{ id: string }>();
    const revoked = await post(browser, `/admin/people/${userId}/grants/revoke`, { grant_id: grant?.id ?? "" });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get("Location")).toBe(`${BASE}/admin/people/${userId}?done=revoked`);
    expect((await mcp(tokens.access_token, "tools/list")).status).toBe(401);
    const admin = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(ADMIN).first<{ id: string }>();
    const [event] = await env.DB.prepare("SELECT detail FROM events WHERE type = 'grant.revoked' AND grant_id = ?").bind(grant?.id).all<{ detail: string }>().then((r) => r.results);
    expect(event?.detail).toContain(admin?.id ?? "missing");
  });

  it("blocks a person: grants revoked, /mcp refused, refresh refused, and the next sign-in refused with a page", async () => {
    const browser = await adminBrowser();
    const { client, tokens, userId } = await connect("mallory@blocked.example");
    const res = await post(browser, `/admin/people/${userId}/block`);
    expect(res.status).toBe(303);
    const row = await env.DB.prepare("SELECT blocked_at, sessions_revoked_at FROM users WHERE id = ?").bind(userId).first<{ blocked_at: number | null; sessions_revoked_at: number | null }>();
    expect(row?.blocked_at).not.toBeNull();
    expect(row?.sessions_revoked_at).not.toBeNull();
    expect((await mcp(tokens.access_token, "tools/list")).status).toBe(401);
    const refreshed = await refresh(client, tokens);
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe("invalid_grant");
    const [blocked] = await events("user.blocked", userId);
    expect(JSON.parse(blocked?.detail ?? "{}")).toMatchObject({ by: "console" });

    // Signing in again: the development IdP answers, and /callback refuses with a page.
    const again = new Browser(target);
    const { challenge } = await pkce();
    const consent = await again.fetch(authorizeUrl(client, challenge, { scope: "mcp offline_access" }));
    const login = await again.fetch(location(await again.submit(await consent.text(), { name: "decision", value: "approve" })).href);
    const callback = location(await again.submit(await login.text(), { name: "action", value: "login" }, { email: "mallory@blocked.example" }));
    const page = await again.fetch(callback.href);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("Your access has been blocked");

    const unblocked = await post(browser, `/admin/people/${userId}/unblock`);
    expect(unblocked.status).toBe(303);
    expect((await env.DB.prepare("SELECT blocked_at FROM users WHERE id = ?").bind(userId).first<{ blocked_at: number | null }>())?.blocked_at).toBeNull();
  });

  it("signs a person out everywhere", async () => {
    const browser = await adminBrowser();
    const { tokens, userId } = await connect("ops-signout@example.com");
    expect((await post(browser, `/admin/people/${userId}/sign-out`)).status).toBe(303);
    expect((await mcp(tokens.access_token, "tools/list")).status).toBe(401);
    expect(await events("user.signed_out", userId)).toHaveLength(1);
  });

  it("blocks a metadata document's client id before it was ever fetched, and lists clients with their people", async () => {
    const browser = await adminBrowser();
    const cimd = "https://never-fetched.example/client.json";
    expect((await post(browser, "/admin/clients/block", { client_id: cimd })).status).toBe(303);
    expect(await env.DB.prepare("SELECT client_id FROM client_blocks WHERE client_id = ?").bind(cimd).first()).not.toBeNull();
    const page = await (await browser.fetch(`${BASE}/admin/clients`)).text();
    expect(page).toContain(cimd);
    // Declared clients are listed too: here the console's own.
    expect(page).toContain("Gatehouse admin console");
    expect(page).toContain("declared (STATIC_CLIENTS)");
    const { client } = await connect("client-user@example.com");
    expect((await post(browser, "/admin/clients/delete", { client_id: client.client_id })).status).toBe(303);
    expect(await env.DB.prepare("SELECT client_id FROM clients WHERE client_id = ?").bind(client.client_id).first()).toBeNull();
  });

  it("filters events by type and shows the webhooks and feedback pages", async () => {
    const browser = await adminBrowser();
    const page = await browser.fetch(`${BASE}/admin/events?type=admin.signed_in&user_id=&client_id=&since=&until=`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("admin.signed_in");
    expect(html).not.toContain('href="/admin/events?type=code.issued"');
    expect((await browser.fetch(`${BASE}/admin/webhooks`)).status).toBe(200);
    expect((await browser.fetch(`${BASE}/admin/feedback`)).status).toBe(200);
    const bad = await browser.fetch(`${BASE}/admin/events?since=yesterday-ish`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("Invalid filter");
  });

  it("exports an organisation's usage as CSV", async () => {
    const browser = await adminBrowser();
    const { tokens } = await connect("csv@usage-org.example");
    expect((await mcp(tokens.access_token, "tools/call", { name: "whoami", arguments: {} })).status).toBe(200);
    // The per-minute flush writes usage after the response; the console reads what D1 has.
    await expect.poll(async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM usage_daily d JOIN users u ON u.id = d.user_id WHERE u.domain = 'usage-org.example'").first<{ n: number }>())?.n ?? 0).toBeGreaterThan(0);
    const res = await browser.fetch(`${BASE}/admin/usage.csv?domain=usage-org.example`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Disposition")).toBe('attachment; filename="gatehouse-usage-usage-org.example.csv"');
    const csv = await res.text();
    expect(csv).toContain('"csv@usage-org.example"');
    expect(csv).toContain('"whoami"');
  });
});

describe("every refresh re-checks the person's standing", () => {
  it("fails with invalid_grant and revokes the grant once ALLOWED_EMAIL_DOMAINS no longer admits the person", async () => {
    const { client, tokens, userId } = await connect("drifter@old-domain.example", env);
    expect((await refresh(client, tokens, env)).status).toBe(200);
    const tightened = { ...env, ALLOWED_EMAIL_DOMAINS: "new-domain.example" } as Env;
    const { client: c2, tokens: t2 } = await connect("drifter2@old-domain.example", env);
    const res = await refresh(c2, t2, tightened);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
    const [refused] = await events("refresh_token.refused");
    expect(JSON.parse(refused?.detail ?? "{}")).toMatchObject({ standing: "email_policy" });
    // The grant is gone for good: the old policy does not bring it back.
    expect((await refresh(c2, t2, env)).status).toBe(400);
    expect(userId).toMatch(/^usr_/);
  });

  it("makes one D1 round trip with no email rule: the standing read, with the rotation's and the token's events on condition of it", async () => {
    const { client, tokens, userId } = await connect("steady@standing.example", env);
    const trips: string[] = [];
    const res = await refresh(client, tokens, countingD1(env, trips));
    expect(res.status).toBe(200);
    // The read and one insert of both events; no write is left for after the response (the client's last use went with the code's
    // redemption).
    expect(trips).toEqual(["batch:2"]);
    expect((await events("refresh_token.rotated", userId)).length).toBe(1);
    expect((await events("access_token.issued", userId)).length).toBe(2);
  });

  it("records neither the rotation nor a token for a person blocked since their grant's revocation was sent, and revokes the grant", async () => {
    const { client, tokens, userId } = await connect("late-block@standing.example", env);
    // Blocked in D1 while the fan-out of the block has not reached this grant yet.
    await env.DB.prepare("UPDATE users SET blocked_at = ? WHERE id = ?").bind(Math.floor(Date.now() / 1000), userId).run();
    const res = await refresh(client, tokens, env);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
    expect((await events("refresh_token.rotated", userId)).length).toBe(0);
    expect((await events("access_token.issued", userId)).length).toBe(1);
    const [refused] = await events("refresh_token.refused", userId);
    expect(JSON.parse(refused?.detail ?? "{}")).toMatchObject({ standing: "blocked" });
    await env.DB.prepare("UPDATE users SET blocked_at = NULL WHERE id = ?").bind(userId).run();
    expect((await refresh(client, tokens, env)).status).toBe(400);
  });

  it("records the rotation and the token after the response under an email rule, which the read alone cannot decide", async () => {
    const ruled = { ...env, ALLOWED_EMAIL_DOMAINS: "ruled.example" } as Env;
    const { client, tokens, userId } = await connect("kept@ruled.example", ruled);
    const trips: string[] = [];
    expect((await refresh(client, tokens, countingD1(ruled, trips))).status).toBe(200);
    expect(trips).toEqual(["first", "batch:1"]);
    expect((await events("refresh_token.rotated", userId)).length).toBe(1);
  });
});

describe("the feedback tool", () => {
  it("is listed by default and tells the assistant to ask first and include the context", async () => {
    const { tokens } = await connect("feedback-list@example.com");
    const tool = (await mcp(tokens.access_token, "tools/list")).body.result?.tools?.find((t) => t.name === "submit_feedback");
    expect(tool?.description).toContain("ask them to confirm");
    expect(tool?.description).toContain("context");
  });

  it("stores feedback with the verified identity, lists it in the console and the admin API, and never logs it", async () => {
    // Every request's line written, so that the check below has a line to look into.
    const logging = { ...target, REQUEST_LOG: "all" } as Env;
    const { tokens, userId } = await connect("feedback@org.example", logging);
    const message = "The search tool misses results for umlauts — secret-feedback-text";
    const logged: unknown[][] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) => vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args)));
    const sent = await mcp(tokens.access_token, "tools/call", { name: "submit_feedback", arguments: { message, category: "bug", context: "search tool, query 'Müller'" } }, logging);
    expect(sent.status).toBe(200);
    expect(sent.body.result?.isError).toBeUndefined();
    for (const spy of spies) spy.mockRestore();
    expect(logged.length, "the request log wrote its line").toBeGreaterThan(0);
    expect(JSON.stringify(logged)).not.toContain("secret-feedback-text");
    const row = await env.DB.prepare("SELECT * FROM feedback WHERE user_id = ?").bind(userId).first<{ email: string; domain: string; category: string; message: string; context: string }>();
    expect(row).toMatchObject({ email: "feedback@org.example", domain: "org.example", category: "bug", message, context: "search tool, query 'Müller'" });
    const browser = await adminBrowser();
    expect(await (await browser.fetch(`${BASE}/admin/feedback`)).text()).toContain("secret-feedback-text");
    const api = await send(`${BASE}/admin/api/feedback?user=${userId}`, { headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` } });
    expect(((await api.json()) as { items: { message: string }[] }).items.map((i) => i.message)).toEqual([message]);
  });

  it("forwards a submission as the signed webhook event feedback.submitted through the outbox", async () => {
    const HOOK = "https://hooks.example.com/feedback";
    const SECRET = "whsec_console_test_secret_0123456789";
    const hooked = { ...env, CAPTURE_WEBHOOK_URL: HOOK, CAPTURE_WEBHOOK_SECRET: SECRET } as Env;
    const { tokens, userId } = await connect("feedback-hook@org.example", hooked);
    const original = globalThis.fetch;
    const deliveries: { body: string; check: string }[] = [];
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.startsWith(HOOK)) return original(input, init);
      const body = await request.text();
      deliveries.push({ body, check: await verifySignature(SECRET, request.headers.get("Gatehouse-Signature"), body, Math.floor(Date.now() / 1000)) });
      return new Response(null, { status: 204 });
    });
    try {
      const sent = await mcp(tokens.access_token, "tools/call", { name: "submit_feedback", arguments: { message: "Hooked feedback", category: "idea" } }, hooked);
      const id = sent.body.result?.structuredContent?.id ?? "";
      const row = await env.DB.prepare("SELECT type, status FROM outbox WHERE id = ?").bind(id).first();
      expect(row).toEqual({ type: "feedback.submitted", status: "delivered" });
      const feedback = deliveries.find((d) => d.body.includes("feedback.submitted"));
      expect(feedback?.check).toBe("ok");
      expect(JSON.parse(feedback?.body ?? "{}")).toMatchObject({ id, type: "feedback.submitted", data: { user_id: userId, email: "feedback-hook@org.example", category: "idea", message: "Hooked feedback", context: null } });
    } finally {
      spy.mockRestore();
    }
  });

  it("answers empty, over-long and unknown-category feedback with a tool error, storing nothing", async () => {
    const { tokens, userId } = await connect("feedback-bad@example.com");
    for (const args of [{ message: "   " }, { message: "x".repeat(10_001) }, { message: "fine", category: "rant" }]) {
      const res = await mcp(tokens.access_token, "tools/call", { name: "submit_feedback", arguments: args });
      expect(res.status).toBe(200);
      expect(res.body.result?.isError).toBe(true);
    }
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM feedback WHERE user_id = ?").bind(userId).first<{ n: number }>())?.n).toBe(0);
  });

  it("is left out with FEEDBACK_TOOL=false", async () => {
    const off = { ...env, FEEDBACK_TOOL: "false" } as Env;
    const { tokens } = await connect("feedback-off@example.com", off);
    const names = (await mcp(tokens.access_token, "tools/list", undefined, off)).body.result?.tools?.map((t) => t.name);
    expect(names).toEqual(["whoami", "upstream_userinfo"]);
  });
});

describe("the admin API's block", () => {
  it("records exactly one user.blocked when 20 blocks of the same person race", async () => {
    const { userId } = await connect("race-block@example.com");
    const auth = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(`${BASE}/admin/api/users/${userId}/block`, { method: "PUT", headers: auth })));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    const revoked = (await Promise.all(answers.map((r) => r.json() as Promise<{ grants_revoked: number }>))).reduce((sum, a) => sum + a.grants_revoked, 0);
    expect(revoked).toBe(1);
    expect(await events("user.blocked", userId)).toHaveLength(1);
  });

  it("blocks and unblocks a person by bearer token, recording the events", async () => {
    const { userId } = await connect("api-block@example.com");
    const auth = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
    const blocked = await send(`${BASE}/admin/api/users/${userId}/block`, { method: "PUT", headers: auth });
    expect(blocked.status).toBe(200);
    expect(await blocked.json()).toEqual({ blocked: userId, grants_revoked: 1, more: false });
    const listed = (await (await send(`${BASE}/admin/api/users?email=api-block@example.com`, { headers: auth })).json()) as { items: { blocked_at: number | null }[] };
    expect(listed.items[0]?.blocked_at).toEqual(expect.any(Number));
    expect((await send(`${BASE}/admin/api/users/${userId}/block`, { method: "DELETE", headers: auth })).status).toBe(200);
    expect((await send(`${BASE}/admin/api/users/usr_nobody/block`, { method: "PUT", headers: auth })).status).toBe(404);
  });
});

describe("the overview's figures", () => {
  it("stores a closed day's figures once, from usage_daily and events, and reads the open day live", async () => {
    const now = Math.floor(Date.now() / 1000);
    const today = Math.floor(now / 86_400) * 86_400;
    const closed = new Date((today - 3 * 86_400) * 1000).toISOString().slice(0, 10);
    const open = new Date(today * 1000).toISOString().slice(0, 10);
    await env.DB.batch([
      env.DB.prepare("DELETE FROM console_daily WHERE day = ?").bind(closed),
      ...[
        [closed, "usr_fig_a", "figure_tool", 3, 2],
        [closed, "usr_fig_a", "", 4, 0],
        [closed, "usr_fig_b", "figure_tool", 5, 5],
        [open, "usr_fig_a", "figure_tool", 7, 7],
      ].map(([day, user, tool, requests, calls]) =>
        env.DB.prepare("INSERT INTO usage_daily (day, user_id, server, tool, requests, tool_calls, last_used_at) VALUES (?, ?, '/mcp', ?, ?, ?, ?) ON CONFLICT DO UPDATE SET requests = excluded.requests, tool_calls = excluded.tool_calls").bind(day, user, tool, requests, calls, now),
      ),
    ]);
    const browser = await adminBrowser();
    const page = await (await browser.fetch(`${BASE}/admin?days=30`)).text();
    expect(page).toContain("figure_tool");
    const row = await env.DB.prepare("SELECT people, requests, tool_calls FROM console_daily WHERE day = ?").bind(closed).first();
    expect(row).toMatchObject({ people: 2, tool_calls: 7 });
    expect(await env.DB.prepare("SELECT calls FROM console_daily_tools WHERE day = ? AND tool = 'figure_tool'").bind(closed).first()).toEqual({ calls: 7 });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM console_daily WHERE day = ?").bind(open).first()).toEqual({ n: 0 });
    // The figure_tool row of the ranking adds the closed day's 7 calls and the open day's 7.
    expect(page).toMatch(/figure_tool<\/td><td class="n"><a href="[^"]*">14<\/a>/);
  });
});
