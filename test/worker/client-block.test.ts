// Blocking a client_id through the admin API: refused before any fetch at /authorize and the token endpoints, for
// metadata documents never seen, registrations and static clients alike; its grants and consents end with the block.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { authorizeUrl, mcpStatus, obtainCode, pkce, REDIRECT_URI, registerClient, signIn, type TestClient, tokenRequest } from "./helpers/oauth";

const TOKEN = "test-admin-token-0123456789abcdef-0123";

/** A request through the app with the execution context awaited, so background writes are done. */
async function call(request: Request, target: Env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

function admin(path: string, method = "GET"): Promise<Response> {
  return call(new Request(`${BASE}/admin/api${path}`, { method, headers: { Authorization: `Bearer ${TOKEN}` } }));
}

const block = (clientId: string) => admin(`/clients/${encodeURIComponent(clientId)}/block`, "PUT");
const unblock = (clientId: string) => admin(`/clients/${encodeURIComponent(clientId)}/block`, "DELETE");

async function openAuthorize(client: TestClient, target: Env = env): Promise<Response> {
  const { challenge } = await pkce();
  return call(new Request(authorizeUrl(client, challenge), { redirect: "manual" }), target);
}

/** The metadata origin: serves a valid document for every URL asked for, counting fetches. */
function origin(): { count: number } {
  const seen = { count: 0 };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    seen.count++;
    const url = new Request(input, init).url;
    return new Response(JSON.stringify({ client_id: url, client_name: "Doc Client", redirect_uris: ["http://127.0.0.1/callback"], grant_types: ["authorization_code", "refresh_token"] }), { headers: { "Content-Type": "application/json" } });
  });
  return seen;
}

const consents = async (clientId: string) => (await env.DB.prepare("SELECT COUNT(*) AS n FROM consents WHERE client_id = ?").bind(clientId).first<{ n: number }>())?.n;
const eventTypes = async (clientId: string) =>
  (await env.DB.prepare("SELECT type FROM events WHERE client_id = ? AND type LIKE 'client.%' ORDER BY id").bind(clientId).all<{ type: string }>()).results.map((e) => e.type);

let n = 0;
const newDocumentClient = (): TestClient => ({ client_id: `https://blocked${++n}.example.com/oauth/client.json`, redirect_uris: [REDIRECT_URI] });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("blocking a client", () => {
  it("refuses a metadata document URL blocked before its first use, fetching nothing, until it is unblocked", async () => {
    const seen = origin();
    const client = newDocumentClient();
    const blocked = await block(client.client_id);
    expect(blocked.status).toBe(200);
    expect(blocked.headers.get("Cache-Control")).toBe("no-store");
    expect(await blocked.json()).toEqual({ blocked: client.client_id, grants_revoked: 0, more: false });

    const page = await openAuthorize(client);
    expect(page.status).toBe(401);
    expect(page.headers.get("Location")).toBeNull();
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("this client is blocked on this server");
    const token = await tokenRequest({ grant_type: "refresh_token", refresh_token: "gh1r_x.y", client_id: client.client_id });
    expect(token.status).toBe(401);
    expect(await token.json()).toEqual({ error: "invalid_client", error_description: "this client is blocked on this server" });
    expect(seen.count).toBe(0);
    expect(await env.DB.prepare("SELECT 1 FROM clients WHERE client_id = ?").bind(client.client_id).first()).toBeNull();

    const lifted = await unblock(client.client_id);
    expect(lifted.status).toBe(200);
    expect(await lifted.json()).toEqual({ unblocked: client.client_id });
    expect((await openAuthorize(client)).status).toBe(200);
    expect(seen.count).toBe(1);
    expect(await eventTypes(client.client_id)).toEqual(["client.blocked", "client.unblocked", "client.registered"]);
  });

  it("revokes a registered client's grants and forgets its consents; unblocked, the registration works again without them", async () => {
    const client = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
    const first = (await signIn({ client, email: "block1@analytical.example" })).tokens;
    const second = (await signIn({ client, email: "block2@analytical.example" })).tokens;
    const other = (await signIn({ email: "block3@analytical.example" })).tokens;
    expect(await consents(client.client_id)).toBe(2);

    const res = await block(client.client_id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ blocked: client.client_id, grants_revoked: 2, more: false });
    expect(await consents(client.client_id)).toBe(0);
    expect(await mcpStatus(first.access_token)).toBe(401);
    expect(await mcpStatus(second.access_token)).toBe(401);
    expect(await mcpStatus(other.access_token)).toBe(200);
    const refreshed = await tokenRequest({ grant_type: "refresh_token", refresh_token: first.refresh_token, client_id: client.client_id });
    expect(refreshed.status).toBe(401);
    expect(((await refreshed.json()) as { error: string }).error).toBe("invalid_client");
    expect((await openAuthorize(client)).status).toBe(401);

    expect((await unblock(client.client_id)).status).toBe(200);
    expect((await openAuthorize(client)).status).toBe(200);
    const again = await tokenRequest({ grant_type: "refresh_token", refresh_token: second.refresh_token, client_id: client.client_id });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("blocks a client declared in STATIC_CLIENTS", async () => {
    const declared = { client_id: "static-blockable", client_name: "Static", redirect_uris: [REDIRECT_URI] };
    const target = { ...env, STATIC_CLIENTS: JSON.stringify([declared]) } as Env;
    expect((await openAuthorize(declared, target)).status).toBe(200);
    expect((await block(declared.client_id)).status).toBe(200);
    expect((await openAuthorize(declared, target)).status).toBe(401);
  });

  it("blocks once however often it is asked, lists blocks page by page, and answers 404 to unblocking an id that is not blocked", async () => {
    const a = newDocumentClient().client_id;
    const b = newDocumentClient().client_id;
    expect((await block(a)).status).toBe(200);
    expect((await block(a)).status).toBe(200);
    expect((await block(b)).status).toBe(200);
    expect(await eventTypes(a)).toEqual(["client.blocked"]);

    const items: { client_id: string; blocked_at: number }[] = [];
    let path = "/client-blocks?limit=1";
    for (let pages = 0; pages < 20; pages++) {
      const res = await admin(path);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: typeof items; next_cursor: string | null };
      items.push(...body.items);
      if (!body.next_cursor) break;
      path = `/client-blocks?limit=1&cursor=${body.next_cursor}`;
    }
    expect(items.filter((i) => i.client_id === a || i.client_id === b)).toEqual([
      { client_id: a, blocked_at: expect.any(Number) },
      { client_id: b, blocked_at: expect.any(Number) },
    ]);

    expect((await unblock(a)).status).toBe(200);
    const missing = await unblock(a);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "invalid_request", error_description: "the client is not blocked" });
  });

  it("refuses to block a client id longer than /authorize accepts", async () => {
    const res = await block(`https://long.example.com/${"a".repeat(2000)}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_request", error_description: "the client id is longer than 2000 characters" });
  });
});

describe("deleting a metadata document client", () => {
  it("forgets its consents with it, as a registration's", async () => {
    origin();
    const client = newDocumentClient();
    await signIn({ client, email: "doc-consent@analytical.example" });
    expect(await consents(client.client_id)).toBe(1);
    expect((await admin(`/clients/${encodeURIComponent(client.client_id)}`, "DELETE")).status).toBe(200);
    expect(await consents(client.client_id)).toBe(0);
  });
});
