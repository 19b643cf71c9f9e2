// The admin API (/admin/api): bearer authentication, user search and CSV export, clients, grants and events.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { eventInserts } from "../../src/db/events";
import type { Env } from "../../src/env";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { mcpStatus, obtainCode, REDIRECT_URI, registerClient, signIn, type TestClient, tokenRequest } from "./helpers/oauth";

const TOKEN = "test-admin-token-0123456789abcdef-0123";

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
interface UserItem {
  id: string;
  email: string | null;
  domain: string | null;
  org_id: string | null;
  org_name: string | null;
  email_verified: boolean;
}
interface GrantItem {
  id: string;
  client_id: string;
  status: string;
}
interface EventItem {
  id: number;
  type: string;
  at: number;
  client_id: string | null;
  grant_id: string | null;
  user_id: string | null;
  detail: Record<string, unknown> | null;
}
interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** A request through the app with the execution context awaited, so background index and event writes are done. */
async function admin(path: string, init: RequestInit & { token?: string | null } = {}, target: Env = env): Promise<Response> {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set("Authorization", `Bearer ${token}`);
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}/admin/api${path}`, { ...rest, headers }), target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function json<T>(res: Response): Promise<T> {
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  return (await res.json()) as T;
}

/** Every item of a listing, following next_cursor; also returns how many pages it took. */
async function all<T>(path: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const res = await admin(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    expect(res.status).toBe(200);
    const body: Page<T> = await json<Page<T>>(res);
    items.push(...body.items);
    cursor = body.next_cursor;
    pages++;
  } while (cursor && pages < 50);
  return { items, pages };
}

async function seedUser(id: string, fields: { email?: string; domain?: string; orgId?: string; orgName?: string; name?: string; firstSeen: number }): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO users (id, provider, subject, email, email_verified, domain, org_id, org_name, name, first_seen_at, last_seen_at, request_count)
     VALUES (?, 'test', ?, ?, 1, ?, ?, ?, ?, ?, ?, 3)`,
  )
    .bind(id, id, fields.email ?? null, fields.domain ?? null, fields.orgId ?? null, fields.orgName ?? null, fields.name ?? null, fields.firstSeen, fields.firstSeen)
    .run();
}

function refresh(client: TestClient, refreshToken: string): Promise<Response> {
  return tokenRequest({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: client.client_id });
}

describe("admin API authentication", () => {
  it("answers 404 on every path when ADMIN_TOKEN is not configured", async () => {
    const off = { ...env, ADMIN_TOKEN: undefined } as Env;
    for (const path of ["/users", "/users.csv", "/clients", "/events", "/nope"]) {
      const res = await admin(path, {}, off);
      expect(res.status).toBe(404);
      expect(await json<{ error: string }>(res)).toEqual({ error: "not_found", error_description: "no such endpoint" });
    }
    expect((await admin("/clients/x", { method: "DELETE" }, off)).status).toBe(404);
  });

  it("answers 401 invalid_token with a bare Bearer challenge when no token is sent", async () => {
    const res = await admin("/users", { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="admin"');
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect((await json<{ error: string }>(res)).error).toBe("invalid_token");
  });

  it.each([
    ["a wrong token", "test-admin-token-0123456789abcdef-0124"],
    ["a prefix of the token", "test-admin-token"],
    ["a longer token", `${TOKEN}x`],
  ])("answers 401 invalid_token to %s", async (_name, token) => {
    const res = await admin("/users", { token });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="admin", error="invalid_token"');
    expect((await json<{ error: string }>(res)).error).toBe("invalid_token");
  });

  it("refuses a Basic credential", async () => {
    const res = await admin("/users", { token: null, headers: { Authorization: `Basic ${btoa(`admin:${TOKEN}`)}` } });
    expect(res.status).toBe(401);
  });

  it("answers JSON 404 for an unknown admin path with a valid token", async () => {
    const res = await admin("/nothing-here");
    expect(res.status).toBe(404);
    expect((await json<{ error: string }>(res)).error).toBe("not_found");
  });
});

describe("users", () => {
  beforeAll(async () => {
    // 7 users at analytical.example, in two organisations, plus outsiders; first_seen_at fixes the order.
    for (let i = 0; i < 7; i++) {
      await seedUser(`usr_seed_${i}`, { email: `Person${i}@analytical.example`, domain: "analytical.example", orgId: i < 4 ? "org_engines" : "org_looms", orgName: i < 4 ? "Engines" : "Looms", firstSeen: 1_000 + i });
    }
    await seedUser("usr_seed_x", { email: "x@other.example", domain: "other.example", firstSeen: 2_000 });
    await seedUser("usr_seed_csv", {
      email: "=cmd@evil.example",
      domain: "evil.example",
      name: 'Lovelace, "Ada"\nCountess',
      orgName: "+SUM(A1)",
      orgId: "@org",
      firstSeen: 3_000,
    });
  });

  it("finds a user by email, ignoring case", async () => {
    const res = await admin("/users?email=person3%40ANALYTICAL.example");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = await json<Page<UserItem>>(res);
    expect(body.items.map((u) => u.id)).toEqual(["usr_seed_3"]);
    expect(body.items[0]).toMatchObject({ email: "Person3@analytical.example", email_verified: true, org_id: "org_engines" });
    expect(body.next_cursor).toBeNull();
  });

  it("pages through a domain in order across several pages without repeats", async () => {
    const { items, pages } = await all<UserItem>("/users?domain=analytical.example&limit=3");
    expect(pages).toBe(3);
    expect(items.map((u) => u.id)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `usr_seed_${i}`));
  });

  it("matches org by id or by name", async () => {
    const byId = await all<UserItem>("/users?org=org_looms&limit=2");
    expect(byId.items.map((u) => u.id)).toEqual(["usr_seed_4", "usr_seed_5", "usr_seed_6"]);
    expect(byId.pages).toBe(2);
    const byName = await all<UserItem>("/users?org=Engines");
    expect(byName.items.map((u) => u.id)).toEqual(["usr_seed_0", "usr_seed_1", "usr_seed_2", "usr_seed_3"]);
  });

  it("combines filters", async () => {
    const body = await json<Page<UserItem>>(await admin("/users?domain=analytical.example&org=Looms&limit=1"));
    expect(body.items.map((u) => u.id)).toEqual(["usr_seed_4"]);
    expect(body.next_cursor).toEqual(expect.any(String));
  });

  it("returns an empty page for no match", async () => {
    expect(await json<Page<UserItem>>(await admin("/users?domain=nobody.example"))).toEqual({ items: [], next_cursor: null });
  });

  it("exports matching users as a streamed CSV with every string quoted (RFC 4180) and formulas neutralised", async () => {
    const res = await admin("/users.csv?domain=evil.example");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toBe('attachment; filename="gatehouse-users.csv"');
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Content-Length")).toBeNull();
    expect(res.body).toBeInstanceOf(ReadableStream);
    const text = await res.text();
    expect(text).toBe(
      '"id","provider","subject","email","email_verified","domain","org_id","org_name","name","first_seen_at","last_seen_at","request_count"\r\n' +
        `"usr_seed_csv","test","usr_seed_csv","'=cmd@evil.example",true,"evil.example","'@org","'+SUM(A1)","Lovelace, ""Ada""\nCountess",3000,3000,3\r\n`,
    );
  });

  it("exports every user across D1 pages of 500", async () => {
    const statements = [];
    for (let i = 0; i < 1_100; i++) {
      statements.push(
        env.DB.prepare("INSERT INTO users (id, provider, subject, domain, first_seen_at, last_seen_at) VALUES (?, 'bulk', ?, 'bulk.example', ?, ?)").bind(`usr_bulk_${String(i).padStart(4, "0")}`, `s${i}`, 5_000 + i, 5_000 + i),
      );
    }
    await env.DB.batch(statements);
    const text = await (await admin("/users.csv?domain=bulk.example")).text();
    const lines = text.split("\r\n").filter(Boolean);
    expect(lines).toHaveLength(1_101);
    expect(lines[1]).toMatch(/^"usr_bulk_0000",/);
    expect(lines[1_100]).toMatch(/^"usr_bulk_1099",/);
    expect(new Set(lines).size).toBe(1_101);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=ten", "limit"],
    ["cursor=not-a-cursor", "cursor"],
    [`cursor=${btoa('{"a":1}')}`, "cursor"],
    ["email=", "email"],
    ["domian=analytical.example", "domian"],
    ["domain=a&domain=b", "domain"],
  ])("answers 400 invalid_request naming the parameter for ?%s", async (query, name) => {
    const res = await admin(`/users?${query}`);
    expect(res.status).toBe(400);
    const body = await json<{ error: string; error_description: string }>(res);
    expect(body.error).toBe("invalid_request");
    expect(body.error_description).toContain(name);
  });

  it("refuses bad parameters at the CSV export before streaming", async () => {
    const res = await admin("/users.csv?limit=5");
    expect(res.status).toBe(400);
    expect((await json<{ error_description: string }>(res)).error_description).toBe("unknown parameter limit");
  });
});

describe("clients", () => {
  it("lists clients without their secret hash, across pages", async () => {
    const confidential = await registerClient({ token_endpoint_auth_method: "client_secret_post", client_name: "Confidential" });
    expect(confidential.client_secret).toEqual(expect.any(String));
    await registerClient({ client_name: "Public" });
    const { items, pages } = await all<Record<string, unknown>>("/clients?limit=1");
    expect(pages).toBeGreaterThanOrEqual(2);
    const listed = items.find((c) => c.client_id === confidential.client_id);
    expect(listed).toMatchObject({ client_name: "Confidential", token_endpoint_auth_method: "client_secret_post", kind: "dcr" });
    const text = JSON.stringify(items);
    expect(text).not.toContain("secret_hash");
    expect(text).not.toContain(confidential.client_secret);
  });

  it("answers 404 when deleting an unknown client", async () => {
    const res = await admin("/clients/no-such-client", { method: "DELETE" });
    expect(res.status).toBe(404);
    expect((await json<{ error: string }>(res)).error).toBe("invalid_request");
  });

  it("deletes a client and revokes its grants: access tokens stop at /mcp and refresh fails", async () => {
    const first = await signIn({ email: "del1@analytical.example" });
    const second = await signIn({ email: "del2@analytical.example", client: first.client });
    const other = await signIn({ email: "keep@analytical.example" });
    expect(await mcpStatus(first.tokens.access_token)).toBe(200);

    const res = await admin(`/clients/${encodeURIComponent(first.client.client_id)}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ deleted: first.client.client_id, grants_revoked: 2, more: false });

    expect(await mcpStatus(first.tokens.access_token)).toBe(401);
    expect(await mcpStatus(second.tokens.access_token)).toBe(401);
    const refreshed = await refresh(first.client, first.tokens.refresh_token);
    expect(refreshed.status).toBe(401);
    expect(((await refreshed.json()) as { error: string }).error).toBe("invalid_client");
    expect(await mcpStatus(other.tokens.access_token)).toBe(200);

    const grants = await json<Page<GrantItem>>(await admin(`/users/${first.userId}/grants`));
    expect(grants.items.find((g) => g.id === first.grantId)?.status).toBe("revoked");
    const events = await json<Page<EventItem>>(await admin(`/events?client_id=${encodeURIComponent(first.client.client_id)}&type=grant.revoked`));
    expect(events.items.map((e) => e.grant_id).sort()).toEqual([first.grantId, second.grantId].sort());
    expect(events.items[0]?.detail).toMatchObject({ reason: "client deleted by an administrator" });
    const deleted = await json<Page<EventItem>>(await admin(`/events?type=client.deleted&client_id=${encodeURIComponent(first.client.client_id)}`));
    expect(deleted.items).toHaveLength(1);

    expect((await admin(`/clients/${encodeURIComponent(first.client.client_id)}`, { method: "DELETE" })).status).toBe(404);
  });

  it("revokes the grants of a client already gone from D1 instead of answering 404", async () => {
    const orphan = await signIn({ email: "orphan@analytical.example" });
    await env.DB.prepare("DELETE FROM clients WHERE client_id = ?").bind(orphan.client.client_id).run();
    const res = await admin(`/clients/${encodeURIComponent(orphan.client.client_id)}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ deleted: orphan.client.client_id, grants_revoked: 1, more: false });
    expect(await mcpStatus(orphan.tokens.access_token)).toBe(401);
  });
});

describe("grants", () => {
  it("lists a user's grants and revokes them all", async () => {
    const a = await signIn({ email: "grace@analytical.example" });
    const b = await signIn({ email: "grace@analytical.example" });
    expect(b.userId).toBe(a.userId);

    const listed = await all<GrantItem>(`/users/${a.userId}/grants?limit=1`);
    expect(listed.pages).toBe(2);
    expect(listed.items.map((g) => g.id).sort()).toEqual([a.grantId, b.grantId].sort());
    expect(listed.items.every((g) => g.status === "active")).toBe(true);

    const res = await admin(`/users/${a.userId}/grants/revoke`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ grants_revoked: 2, more: false });
    expect(await mcpStatus(a.tokens.access_token)).toBe(401);
    expect(await mcpStatus(b.tokens.access_token)).toBe(401);
    expect((await refresh(a.client, a.tokens.refresh_token)).status).toBe(400);

    const after = await all<GrantItem>(`/users/${a.userId}/grants`);
    expect(after.items.map((g) => g.status)).toEqual(["revoked", "revoked"]);
    expect(await json(await admin(`/users/${a.userId}/grants/revoke`, { method: "POST" }))).toEqual({ grants_revoked: 0, more: false });
  });

  it("revokes one grant", async () => {
    const a = await signIn({ email: "one@analytical.example" });
    const res = await admin(`/grants/${a.grantId}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ revoked: a.grantId, was_live: true });
    expect(await mcpStatus(a.tokens.access_token)).toBe(401);
    expect(await json(await admin(`/grants/${a.grantId}`, { method: "DELETE" }))).toEqual({ revoked: a.grantId, was_live: false });
  });

  it("answers 404 for an unknown grant id, well-formed or not", async () => {
    expect((await admin(`/grants/${"0".repeat(64)}`, { method: "DELETE" })).status).toBe(404);
    expect((await admin("/grants/not-a-grant", { method: "DELETE" })).status).toBe(404);
  });

  it("lists nothing for an unknown user", async () => {
    expect(await json(await admin("/users/usr_nobody/grants"))).toEqual({ items: [], next_cursor: null });
  });
});

describe("events", () => {
  beforeAll(async () => {
    await env.DB.batch([
      ...eventInserts(env.DB, [{ type: "login.failed", userId: "usr_ev", detail: { check: "email_verified" } }], 10_000),
      ...eventInserts(env.DB, [{ type: "grant.revoked", grantId: "g_ev", clientId: "c_ev", userId: "usr_ev", detail: { reason: "test" } }], 20_000),
      ...eventInserts(env.DB, [{ type: "grant.revoked", grantId: "g_ev2", clientId: "c_ev" }], 30_000),
    ]);
    await env.DB.prepare("INSERT INTO events (type, at, client_id, detail) VALUES ('code.issued', 40000, 'c_ev', 'not json')").run();
  });

  it("lists events newest first with detail parsed", async () => {
    const body = await json<Page<EventItem>>(await admin("/events?client_id=c_ev"));
    expect(body.items.map((e) => e.at)).toEqual([40_000, 30_000, 20_000]);
    expect(body.items[2]).toMatchObject({ type: "grant.revoked", grant_id: "g_ev", user_id: "usr_ev", detail: { reason: "test" } });
    expect(body.items[1]?.detail).toBeNull();
    expect(body.items[0]?.detail).toEqual({ raw: "not json" });
  });

  it("filters by type, grant, user and time, and pages", async () => {
    expect((await json<Page<EventItem>>(await admin("/events?type=grant.revoked&client_id=c_ev"))).items.map((e) => e.grant_id)).toEqual(["g_ev2", "g_ev"]);
    expect((await json<Page<EventItem>>(await admin("/events?grant_id=g_ev"))).items).toHaveLength(1);
    expect((await json<Page<EventItem>>(await admin("/events?user_id=usr_ev"))).items.map((e) => e.type)).toEqual(["grant.revoked", "login.failed"]);
    const window = await json<Page<EventItem>>(await admin("/events?since=15000&until=30000"));
    expect(window.items.map((e) => e.at)).toEqual([30_000, 20_000]);
    const iso = await json<Page<EventItem>>(await admin(`/events?since=${new Date(15_000_000).toISOString()}&until=1970-01-01T08:20:00Z`));
    expect(iso.items.map((e) => e.at)).toEqual([30_000, 20_000]);
    const paged = await all<EventItem>("/events?client_id=c_ev&limit=2");
    expect(paged.pages).toBe(2);
    expect(paged.items.map((e) => e.at)).toEqual([40_000, 30_000, 20_000]);
  });

  it.each([
    ["since=yesterday", "since"],
    ["until=", "until"],
    ["limit=-1", "limit"],
    [`cursor=${btoa("[1,\"x\"]")}`, "cursor"],
    ["kind=grant.revoked", "kind"],
  ])("answers 400 invalid_request for ?%s", async (query, name) => {
    const res = await admin(`/events?${query}`);
    expect(res.status).toBe(400);
    const body = await json<{ error: string; error_description: string }>(res);
    expect(body.error).toBe("invalid_request");
    expect(body.error_description).toContain(name);
  });
});
