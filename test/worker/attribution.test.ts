// Which servers a client asks for and uses (issue 15, "What the client sees", last bullet): the consent page names
// the server, usage is counted per day × user × server × tool in D1 (after real /mcp whoami calls and gateway calls
// to a stub origin), and /account and the admin API show it.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { USAGE_FLUSH_MS } from "../../src/mcp/usage";
import worker from "../../src/worker";
import { HeadlessBrowser } from "../support/browser";
import * as shared from "../support/oauth";
import { BASE, workerFetch, workerTarget } from "./helpers/browser";
import { authorizeUrl, pkce, REDIRECT_URI, registerClient, type TestClient, tokenRequest } from "./helpers/oauth";

const gatewayEnv = {
  ...env,
  MCP_SERVERS: JSON.stringify([{ name: "demo", label: "Demo tools", origin: "https://origin.example/mcp" }]),
} as Env;
const DEMO = `${BASE}/mcp/demo`;
const today = () => new Date().toISOString().slice(0, 10);

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), gatewayEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const admin = (path: string) => call(`/admin/api${path}`, { headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` } });

const rpc = (token: string, body: unknown): RequestInit => ({
  method: "POST",
  headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
  body: JSON.stringify(body),
});
const toolCall = (id: number, name: string) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } });
const toolsList = { jsonrpc: "2.0", id: 1, method: "tools/list" };

/** Signs `email` in through `browser` for `resource` and returns the access token. */
async function accessToken(browser: HeadlessBrowser, client: TestClient, email: string, resource: string): Promise<string> {
  const { code, verifier } = await shared.obtainCode(workerTarget(gatewayEnv), client, { email, params: { resource }, browser });
  const res = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }, {}, gatewayEnv);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function userId(email: string): Promise<string> {
  const row = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first<{ id: string }>();
  if (!row) throw new Error(`no user ${email}`);
  return row.id;
}

async function usageRows(user: string) {
  const { results } = await env.DB.prepare("SELECT day, server, tool, requests, tool_calls FROM usage_daily WHERE user_id = ? ORDER BY server, tool").bind(user).all();
  return results;
}

/** Runs `step` a flush interval from now, so the grant's held counts are due. */
async function aMinuteLater<T>(step: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const spy = vi.spyOn(Date, "now").mockReturnValue(now + USAGE_FLUSH_MS);
  try {
    return await step();
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the consent page names the server", () => {
  it("shows the built-in server as the service's name at /mcp, and a gateway server by its label and path", async () => {
    const client = await registerClient({ client_name: "Attribution" });
    const { challenge } = await pkce();
    const builtIn = await call(authorizeUrl(client, challenge).slice(BASE.length));
    expect(builtIn.status).toBe(200);
    expect(await builtIn.text()).toContain('<p class="server">It asks for access to <strong>Gatehouse</strong> (<code>/mcp</code>).</p>');
    const demo = await call(authorizeUrl(client, challenge, { resource: DEMO }).slice(BASE.length));
    expect(demo.status).toBe(200);
    expect(await demo.text()).toContain('<p class="server">It asks for access to <strong>Demo tools</strong> (<code>/mcp/demo</code>).</p>');
  });
});

describe("usage per day × user × server × tool", () => {
  it("counts the built-in whoami calls and other /mcp requests exactly, the first at once and the rest in the minute's batch", async () => {
    const client = await registerClient();
    const token = await accessToken(new HeadlessBrowser(workerFetch(gatewayEnv)), client, "lin@attrib.example", `${BASE}/mcp`);
    const user = await userId("lin@attrib.example");
    const whoami = await call("/mcp", rpc(token, toolCall(1, "whoami")));
    expect(whoami.status).toBe(200);
    expect(JSON.stringify(await whoami.json())).toContain("lin@attrib.example");
    expect(await usageRows(user)).toEqual([{ day: today(), server: "/mcp", tool: "whoami", requests: 1, tool_calls: 1 }]);
    for (let i = 0; i < 2; i++) expect((await call("/mcp", rpc(token, toolCall(2, "whoami")))).status).toBe(200);
    expect((await call("/mcp", rpc(token, toolsList))).status).toBe(200);
    expect(await usageRows(user)).toEqual([{ day: today(), server: "/mcp", tool: "whoami", requests: 1, tool_calls: 1 }]);
    expect((await aMinuteLater(() => call("/mcp", rpc(token, toolsList)))).status).toBe(200);
    expect(await usageRows(user)).toEqual([
      { day: today(), server: "/mcp", tool: "", requests: 2, tool_calls: 0 },
      { day: today(), server: "/mcp", tool: "whoami", requests: 3, tool_calls: 3 },
    ]);
    const counted = await env.DB.prepare("SELECT request_count FROM users WHERE id = ?").bind(user).first<{ request_count: number }>();
    expect(counted?.request_count).toBe(5);
  });

  it("counts gateway requests under the server's path and the tool the body names, batches included", async () => {
    const sent: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      sent.push(await new Request(input, init).text());
      return Response.json({ jsonrpc: "2.0", id: 1, result: { content: [] } });
    });
    const client = await registerClient();
    const token = await accessToken(new HeadlessBrowser(workerFetch(gatewayEnv)), client, "mo@attrib.example", DEMO);
    const user = await userId("mo@attrib.example");
    expect((await call("/mcp/demo", rpc(token, toolCall(1, "search")))).status).toBe(200);
    expect(await usageRows(user)).toEqual([{ day: today(), server: "/mcp/demo", tool: "search", requests: 1, tool_calls: 1 }]);
    const batch = [toolCall(2, "search"), toolCall(3, "fetch.page"), toolCall(4, "search"), toolsList];
    expect((await call("/mcp/demo", rpc(token, batch))).status).toBe(200);
    expect((await call("/mcp/demo", rpc(token, toolCall(5, "not a tool name")))).status).toBe(200);
    expect((await aMinuteLater(() => call("/mcp/demo", rpc(token, toolsList)))).status).toBe(200);
    expect(await usageRows(user)).toEqual([
      { day: today(), server: "/mcp/demo", tool: "", requests: 2, tool_calls: 0 },
      { day: today(), server: "/mcp/demo", tool: "fetch.page", requests: 1, tool_calls: 1 },
      { day: today(), server: "/mcp/demo", tool: "search", requests: 2, tool_calls: 3 },
    ]);
    // The origin received every body untouched by the count's read.
    expect(sent[1]).toBe(JSON.stringify(batch));
    expect(sent).toHaveLength(4);
  });
});

describe("usage counting never alters what the origin receives", () => {
  it("refuses a gateway body over 1 MiB with 413 before the origin, sent with or without Content-Length, and counts nothing", async () => {
    const sent: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      sent.push(await new Request(input, init).text());
      return Response.json({ jsonrpc: "2.0", id: 1, result: { content: [] } });
    });
    const client = await registerClient();
    const token = await accessToken(new HeadlessBrowser(workerFetch(gatewayEnv)), client, "al@attrib.example", DEMO);
    const user = await userId("al@attrib.example");
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "upload", arguments: { data: "x".repeat(1024 * 1024) } } });
    expect((await call("/mcp/demo", { ...rpc(token, {}), body: big })).status).toBe(413);
    const chunked = new Blob([big]).stream();
    expect((await call("/mcp/demo", { ...rpc(token, {}), body: chunked, duplex: "half" } as RequestInit)).status).toBe(413);
    expect(sent).toEqual([]);
    expect(await usageRows(user)).toEqual([]);
  });
});

describe("/account and the admin API show per-server use", () => {
  it("lists the servers an app uses at /account, the resource of each grant, and the usage rows as JSON and CSV", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json({ jsonrpc: "2.0", id: 1, result: { content: [] } }));
    const client = await registerClient({ client_name: "Two servers" });
    const browser = new HeadlessBrowser(workerFetch(gatewayEnv));
    const mcpToken = await accessToken(browser, client, "ida@attrib-org.example", `${BASE}/mcp`);
    const demoToken = await accessToken(browser, client, "ida@attrib-org.example", DEMO);
    const user = await userId("ida@attrib-org.example");
    expect((await call("/mcp", rpc(mcpToken, toolCall(1, "whoami")))).status).toBe(200);
    expect((await call("/mcp/demo", rpc(demoToken, toolCall(1, "search")))).status).toBe(200);

    const account = await browser.open(new URL(`${BASE}/account`));
    expect(account.status).toBe(200);
    expect(account.html).toContain("<h2>Two servers</h2>");
    expect(account.html).toContain('<p class="servers">Uses Gatehouse (/mcp), Demo tools (/mcp/demo)</p>');
    expect(account.html).toMatch(new RegExp(`last used ${today()}`));

    const grants = (await (await admin(`/users/${user}/grants`)).json()) as { items: { resource: string | null }[] };
    expect(grants.items.map((g) => g.resource).sort()).toEqual([`${BASE}/mcp`, DEMO]);

    const row = (server: string, tool: string) => ({
      day: today(),
      user_id: user,
      email: "ida@attrib-org.example",
      domain: "attrib-org.example",
      org_id: "attrib-org.example",
      org_name: "Attrib-org",
      server,
      tool,
      requests: 1,
      tool_calls: 1,
      last_used_at: expect.any(Number),
    });
    const all = await admin(`/usage?domain=attrib-org.example`);
    expect(all.status).toBe(200);
    expect(all.headers.get("Cache-Control")).toBe("no-store");
    expect(await all.json()).toEqual({ items: [row("/mcp", "whoami"), row("/mcp/demo", "search")], next_cursor: null });

    const first = (await (await admin(`/usage?user=${user}&limit=1`)).json()) as { items: unknown[]; next_cursor: string };
    expect(first.items).toEqual([row("/mcp", "whoami")]);
    const second = await (await admin(`/usage?user=${user}&limit=1&cursor=${first.next_cursor}`)).json();
    expect(second).toEqual({ items: [row("/mcp/demo", "search")], next_cursor: null });
    expect(await (await admin(`/usage?user=${user}&server=/mcp/demo&tool=search&from=${today()}&to=${today()}`)).json()).toEqual({ items: [row("/mcp/demo", "search")], next_cursor: null });
    expect(await (await admin(`/usage?org=Attrib-org&tool=whoami`)).json()).toEqual({ items: [row("/mcp", "whoami")], next_cursor: null });
    expect(await (await admin(`/usage?user=${user}&to=2000-01-01`)).json()).toEqual({ items: [], next_cursor: null });

    const csv = await admin(`/usage.csv?domain=attrib-org.example`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("Content-Disposition")).toBe('attachment; filename="gatehouse-usage.csv"');
    const lastUsed = await env.DB.prepare("SELECT server, last_used_at FROM usage_daily WHERE user_id = ? ORDER BY server").bind(user).all<{ last_used_at: number }>();
    const [mcpAt, demoAt] = lastUsed.results.map((r) => r.last_used_at);
    expect(await csv.text()).toBe(
      '"day","user_id","email","domain","org_id","org_name","server","tool","requests","tool_calls","last_used_at"\r\n' +
        `"${today()}","${user}","ida@attrib-org.example","attrib-org.example","attrib-org.example","Attrib-org","/mcp","whoami",1,1,${mcpAt}\r\n` +
        `"${today()}","${user}","ida@attrib-org.example","attrib-org.example","attrib-org.example","Attrib-org","/mcp/demo","search",1,1,${demoAt}\r\n`,
    );
  });

  it("refuses a malformed day, an unknown parameter and a cursor of another listing (400 invalid_request)", async () => {
    for (const query of ["from=2026-1-1", "to=yesterday", "domian=x", "cursor=WzEsImEiXQ"]) {
      const res = await admin(`/usage?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe("invalid_request");
    }
  });
});
