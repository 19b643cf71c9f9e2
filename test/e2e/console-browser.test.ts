// The admin console in a real headless Chromium with JavaScript turned off (issue 18): an administrator signs in at
// /admin through the development IdP and through a real OpenID provider (node-oidc-provider, admitted by
// ADMIN_GROUPS), a non-administrator is refused, and every page and action is used as a person would — each action's
// effect checked in D1 and at /mcp. The overview and a person's page are screenshotted: into a temporary folder, or
// for the README with `CONSOLE_SCREENSHOTS=docs/images`, so a test run leaves the checkout as it was.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { type Gatehouse, startGatehouse, WRANGLER_ENV } from "../support/node/wrangler-dev";
import { registerClient, signIn, type SignedIn } from "../support/oauth";
import { ACCOUNT, startUpstream, type Upstream } from "./upstream-provider";

const PORT = 9151;
const OIDC_PORT = 9161;
const ADMIN = "ops@console.example";
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS ?? tmpdir();

/** Rows of one SQL statement against the server's local D1 (`wrangler d1 execute --json`). */
function d1<T>(server: Gatehouse, sql: string): T[] {
  const run = spawnSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--env", "dev", "--persist-to", server.state, "--json", "--command", sql], { env: { ...process.env, ...WRANGLER_ENV }, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`wrangler d1 execute failed: ${run.stderr.slice(-2000)}`);
  return (JSON.parse(run.stdout) as { results: T[] }[])[0]?.results ?? [];
}

/** Thirty days of a small organisation's use, so the overview has something to show: people, usage and events. */
function seedDemo(server: Gatehouse): void {
  const now = Math.floor(Date.now() / 1000);
  const first = Math.floor(now / 86_400) * 86_400 - 29 * 86_400;
  const domains = ["acme.example", "globex.example", "initech.example", "umbrella.example", "hooli.example"];
  const sql = `
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 59)
INSERT INTO users (id, provider, subject, email, email_verified, domain, org_id, org_name, name, first_seen_at, last_seen_at, request_count)
SELECT printf('usr_demo_%02d', k), 'dev', printf('demo-%02d', k), printf('person%02d@%s', k, CASE k % 5 ${domains.map((d, i) => `WHEN ${i} THEN '${d}'`).join(" ")} END), 1,
  CASE k % 5 ${domains.map((d, i) => `WHEN ${i} THEN '${d}'`).join(" ")} END, printf('org_%d', k % 5), CASE k % 5 WHEN 0 THEN 'Acme' WHEN 1 THEN 'Globex' WHEN 2 THEN 'Initech' WHEN 3 THEN 'Umbrella' ELSE 'Hooli' END,
  NULL, ${first}, ${now} - (k % 7) * 86400, 40 + k FROM n;
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 2999)
INSERT OR IGNORE INTO usage_daily (day, user_id, server, tool, requests, tool_calls, last_used_at)
SELECT date(${first} + (k / 100) * 86400, 'unixepoch'), printf('usr_demo_%02d', (k * 7) % (20 + (k / 100))), '/mcp',
  CASE k % 4 WHEN 0 THEN '' WHEN 1 THEN 'search_docs' WHEN 2 THEN 'create_ticket' ELSE 'whoami' END, 1 + k % 6, CASE k % 4 WHEN 0 THEN 0 ELSE 1 + k % 3 END, ${first} + (k / 100) * 86400 FROM n;
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 899)
INSERT INTO events (type, at, user_id, client_id) SELECT CASE WHEN k % 23 = 0 THEN 'login.failed' WHEN k % 97 = 0 THEN 'refresh_token.reused' ELSE 'code.issued' END,
  ${first} + (k * 2851) % (30 * 86400), printf('usr_demo_%02d', k % 60), 'demo-client' FROM n;`;
  const file = join(tmpdir(), `gatehouse-console-demo-${PORT}.sql`);
  writeFileSync(file, sql);
  const run = spawnSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--env", "dev", "--persist-to", server.state, "--file", file], { env: { ...process.env, ...WRANGLER_ENV }, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`seeding failed: ${run.stderr.slice(-2000)}`);
}

async function mcp(server: Gatehouse, accessToken: string, method: string, params?: unknown): Promise<{ status: number; body: { result?: { isError?: boolean } } }> {
  const res = await fetch(`${server.url}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, ...(params === undefined ? {} : { params }) }),
  });
  return { status: res.status, body: res.status === 200 ? ((await res.json()) as { result?: { isError?: boolean } }) : {} };
}

/** A person of `email` signed in through an MCP client (a public client with a refresh token). */
function connect(server: Gatehouse, email: string): Promise<SignedIn> {
  const target = { base: server.url, fetch };
  return signIn(target, {
    email,
    name: "Katherine Johnson",
    params: { scope: "mcp offline_access" },
    metadata: { client_name: "Console E2E Client", redirect_uris: ["http://127.0.0.1:9159/callback"], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], software_id: crypto.randomUUID() },
  });
}

async function refresh(server: Gatehouse, session: SignedIn): Promise<number> {
  const res = await fetch(`${server.url}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: session.tokens.refresh_token ?? "", client_id: session.client.client_id }),
  });
  return res.status;
}

describe("the admin console in Chromium without JavaScript (development IdP)", () => {
  let server: Gatehouse;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    let started: Gatehouse;
    [started, browser] = await Promise.all([startGatehouse(PORT, { ADMIN_EMAILS: ADMIN, ADMIN_SESSION_TTL: "900" }), launchChromium()]);
    server = started;
    seedDemo(server);
    context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** From /admin's sign-in page through consent (first time) and the development IdP, back to the console. */
  async function signInAs(p: Page, email: string): Promise<void> {
    await p.goto(`${server.url}/admin`);
    expect(await p.locator("h1").innerText()).toBe("Admin console");
    await p.getByRole("link", { name: "Sign in" }).click();
    await p.waitForURL((u) => u.pathname === "/authorize" || u.pathname.startsWith("/dev-idp/"));
    if (new URL(p.url()).pathname === "/authorize") await p.locator('button[name="decision"][value="approve"]').click();
    await p.getByLabel("Email").fill(email);
    await p.locator('button[name="action"][value="login"]').click();
    await p.waitForURL((u) => u.pathname === "/admin");
  }

  it("signs an administrator in through the development IdP and shows the overview's four charts", async () => {
    await signInAs(page, ADMIN);
    expect(await page.locator("h1").innerText()).toBe("Overview");
    expect(await page.locator("svg.chart").count()).toBe(4);
    expect(await page.locator("svg.chart").first().getAttribute("aria-label")).toMatch(/^Active people per day from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}: /);
    // Every number is a link to the list behind it.
    const domainLink = page.locator('a[href^="/admin/people?domain=acme.example"]');
    expect(await domainLink.count()).toBe(1);
    await page.screenshot({ path: `${SCREENSHOTS}/console-overview.png`, fullPage: true });
    const admin = d1<{ id: string }>(server, `SELECT id FROM users WHERE email = '${ADMIN}'`)[0];
    expect(d1(server, `SELECT id FROM events WHERE type = 'admin.signed_in' AND user_id = '${admin?.id}'`)).toHaveLength(1);
    // Keyboard focus reaches the navigation's first link, and it is visibly outlined.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement?.tagName ?? "");
    expect(["A", "BUTTON"]).toContain(focused);
  });

  it("refuses a person who is not an administrator", async () => {
    const other = await browser!.newContext({ javaScriptEnabled: false });
    const p = await other.newPage();
    await signInAs(p, "visitor@elsewhere.example");
    expect(await p.locator("h1").innerText()).toBe("Not an administrator");
    const res = await p.goto(`${server.url}/admin/people`);
    expect(res?.status()).toBe(403);
    await other.close();
  });

  it("finds a person, shows their grants, usage and feedback, and revokes a grant: its token stops at /mcp", async () => {
    const person = await connect(server, "katherine@nasa.example");
    expect((await mcp(server, person.tokens.access_token, "tools/call", { name: "whoami", arguments: {} })).status).toBe(200);
    const sent = await mcp(server, person.tokens.access_token, "tools/call", { name: "submit_feedback", arguments: { message: "Search misses results with accents.", category: "bug", context: "search_docs on the onboarding page" } });
    expect(sent.body.result?.isError).toBeUndefined();
    await page.locator("nav.console").getByRole("link", { name: "People", exact: true }).click();
    await page.getByLabel("Domain").fill("nasa.example");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: "katherine@nasa.example" }).click();
    expect(await page.locator("h1").innerText()).toBe("katherine@nasa.example");
    expect(await page.locator("main").innerText()).toContain("Search misses results with accents.");
    await expect.poll(async () => {
      await page.reload();
      return page.locator("main").innerText();
    }).toContain("whoami");
    await page.screenshot({ path: `${SCREENSHOTS}/console-person.png`, fullPage: true });
    await page.getByRole("button", { name: "Revoke" }).first().click();
    expect(await page.getByRole("status").innerText()).toContain("The grant was revoked");
    expect((await mcp(server, person.tokens.access_token, "tools/list")).status).toBe(401);
    const [grant] = d1<{ status: string }>(server, "SELECT g.status FROM grants g JOIN users u ON u.id = g.user_id WHERE u.email = 'katherine@nasa.example' AND g.client_id <> 'gatehouse-console'");
    expect(grant?.status).toBe("revoked");
    const [event] = d1<{ detail: string }>(server, "SELECT detail FROM events WHERE type = 'grant.revoked' ORDER BY id DESC LIMIT 1");
    expect(event?.detail).toContain("revoked by an administrator (usr_");
  });

  it("blocks a person: grants revoked, refresh refused, sign-in refused with a clear page", async () => {
    const person = await connect(server, "blocked@nasa.example");
    await page.goto(`${server.url}/admin/people?domain=nasa.example`);
    await page.getByRole("link", { name: "blocked@nasa.example" }).click();
    await page.getByRole("button", { name: "Block this person" }).click();
    expect(await page.getByRole("status").innerText()).toContain("Blocked");
    expect(d1<{ blocked: number }>(server, "SELECT blocked_at IS NOT NULL AS blocked FROM users WHERE email = 'blocked@nasa.example'")[0]?.blocked).toBe(1);
    expect((await mcp(server, person.tokens.access_token, "tools/list")).status).toBe(401);
    expect(await refresh(server, person)).toBe(400);
    await expect(connect(server, "blocked@nasa.example")).rejects.toThrow(/403[\s\S]*Your access has been blocked/);
    await page.getByRole("button", { name: "Unblock" }).click();
    expect(d1<{ blocked: number }>(server, "SELECT blocked_at IS NOT NULL AS blocked FROM users WHERE email = 'blocked@nasa.example'")[0]?.blocked).toBe(0);
  });

  it("signs a person out everywhere", async () => {
    const person = await connect(server, "signout@nasa.example");
    await page.goto(`${server.url}/admin/people?email=signout@nasa.example`);
    await page.getByRole("link", { name: "signout@nasa.example" }).click();
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    expect(await page.getByRole("status").innerText()).toContain("Signed out everywhere");
    expect((await mcp(server, person.tokens.access_token, "tools/list")).status).toBe(401);
  });

  it("blocks a metadata document's client id before any fetch, and deletes a registered client", async () => {
    const cimd = "https://tools.example/never-fetched/client.json";
    await page.locator("nav.console").getByRole("link", { name: "Clients", exact: true }).click();
    await page.getByLabel("Client id").fill(cimd);
    await page.locator('form.filters button[type="submit"]').click();
    expect(await page.getByRole("status").innerText()).toContain("blocked");
    expect(d1(server, `SELECT client_id FROM client_blocks WHERE client_id = '${cimd}'`)).toHaveLength(1);
    const authorize = await fetch(`${server.url}/authorize?${new URLSearchParams({ response_type: "code", client_id: cimd, redirect_uri: "https://tools.example/cb", code_challenge: "x".repeat(43), code_challenge_method: "S256" })}`, { redirect: "manual" });
    expect(authorize.status).toBeGreaterThanOrEqual(400);
    expect(d1(server, `SELECT client_id FROM clients WHERE client_id = '${cimd}'`)).toHaveLength(0);

    const doomed = await registerClient({ base: server.url, fetch }, { client_name: "Doomed Client", redirect_uris: ["http://127.0.0.1:9158/callback"], token_endpoint_auth_method: "none", software_id: crypto.randomUUID() });
    await page.reload();
    const row = page.locator("tr", { hasText: doomed.client_id });
    await row.getByRole("button", { name: "Delete" }).click();
    expect(await page.getByRole("status").innerText()).toContain("deleted");
    expect(d1(server, `SELECT client_id FROM clients WHERE client_id = '${doomed.client_id}'`)).toHaveLength(0);
  });

  it("filters the events, and lists webhooks and feedback", async () => {
    await page.locator("nav.console").getByRole("link", { name: "Events", exact: true }).click();
    await page.getByLabel("Type").selectOption("user.blocked");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL((u) => u.searchParams.get("type") === "user.blocked");
    const rows = await page.locator("tbody tr").allInnerTexts();
    expect(rows.length).toBe(1);
    expect(rows[0]).toContain("user.blocked");
    await page.locator("nav.console").getByRole("link", { name: "Webhooks", exact: true }).click();
    expect(await page.locator("h1").innerText()).toBe("Webhooks");
    await page.locator("nav.console").getByRole("link", { name: "Feedback", exact: true }).click();
    expect(await page.locator("main").innerText()).toContain("Search misses results with accents.");
    // Every visible form field has a label.
    for (const section of ["/admin/people", "/admin/events", "/admin/usage", "/admin/clients"]) {
      await page.goto(`${server.url}${section}`);
      const unlabelled = await page.locator("input:not([type=hidden]), select").evaluateAll((inputs) => inputs.filter((i) => !(i as HTMLInputElement).labels?.length).length);
      expect(unlabelled, section).toBe(0);
    }
  });

  it("downloads an organisation's usage as CSV", async () => {
    const res = await context.request.get(`${server.url}/admin/usage.csv?org=Acme`);
    expect(res.status()).toBe(200);
    expect(res.headers()["content-disposition"]).toBe('attachment; filename="gatehouse-usage-Acme.csv"');
    const csv = await res.text();
    expect(csv.split("\r\n")[0]).toBe('"day","user_id","email","domain","org_id","org_name","server","tool","requests","tool_calls","last_used_at"');
    expect(csv).toContain('"Acme"');
    expect(csv).not.toContain('"Globex"');
  });
});

describe("the admin console through a real OpenID provider (oidc-provider, ADMIN_GROUPS)", () => {
  const UPSTREAM_CLIENT_ID = "gatehouse-console-e2e";
  const UPSTREAM_CLIENT_SECRET = "e2e-console-upstream-secret-that-is-long-enough-0123";
  let server: Gatehouse;
  let upstream: Upstream;
  let browser: Browser | undefined;

  beforeAll(async () => {
    upstream = await startUpstream(`http://localhost:${OIDC_PORT}`, { clientId: UPSTREAM_CLIENT_ID, clientSecret: UPSTREAM_CLIENT_SECRET });
    let started: Gatehouse;
    [started, browser] = await Promise.all([
      startGatehouse(OIDC_PORT, { DEV_IDP: "false", UPSTREAM_ISSUER: upstream.issuer, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET, ADMIN_GROUPS: "gatehouse-admins" }),
      launchChromium(),
    ]);
    server = started;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => (upstream?.server ? upstream.server.close(resolve) : resolve(undefined)));
  });

  it("admits a member of ADMIN_GROUPS after the provider's own login and consent pages", async () => {
    const context = await browser!.newContext({ javaScriptEnabled: false });
    await context.route(/^https?:\/\/(?!localhost[:/]|127\.0\.0\.1[:/])/, (route) => route.abort());
    const page = await context.newPage();
    await page.goto(`${server.url}/admin`);
    await page.getByRole("link", { name: "Sign in" }).click();
    await page.locator('button[name="decision"][value="approve"]').click();
    const login = page.locator('input[name="login"]');
    await login.waitFor({ state: "visible" });
    await login.fill(ACCOUNT.login);
    await page.locator('input[name="password"]').fill("any password");
    await page.locator('button[type="submit"]').click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL((u) => u.origin === server.url && u.pathname === "/admin");
    expect(await page.locator("h1").innerText()).toBe("Overview");
    expect(await page.locator("nav.console").innerText()).toContain(ACCOUNT.email);
    expect(d1<{ admin_groups: string }>(server, `SELECT admin_groups FROM users WHERE email = '${ACCOUNT.email}'`)[0]?.admin_groups).toBe('["gatehouse-admins"]');
    await context.close();
  });
});
