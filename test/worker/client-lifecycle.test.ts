// Clients as they pile up: identical DCR registrations return the same client, the DCR cap, clients declared in
// STATIC_CLIENTS, and the cron sweep of unused, idle and long-stale clients.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientInsert, getClient } from "../../src/db/clients";
import type { Env } from "../../src/env";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { storedClient } from "./helpers/clients";
import { pkce } from "./helpers/oauth";

function register(body: Record<string, unknown>, headers: Record<string, string> = {}, target: Env = env): Promise<Response> {
  const request = new Request(`${BASE}/register`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (target === env) return exports.default.fetch(request);
  return call(request, target);
}

async function call(request: Request, target: Env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const metadata = (name: string) => ({ client_name: name, redirect_uris: ["http://127.0.0.1/callback"], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] });

describe("dynamic client registration: duplicates and the cap", () => {
  it("returns the same public client for an identical registration from the same source", async () => {
    const first = (await (await register(metadata("Same"), { "CF-Connecting-IP": "203.0.113.7" })).json()) as { client_id: string };
    const again = await register(metadata("Same"), { "CF-Connecting-IP": "203.0.113.7" });
    expect(again.status).toBe(201);
    expect(((await again.json()) as { client_id: string }).client_id).toBe(first.client_id);
  });

  it("registers a new client when the metadata or the source differs", async () => {
    const a = (await (await register(metadata("Differs"), { "CF-Connecting-IP": "203.0.113.8" })).json()) as { client_id: string };
    const b = (await (await register(metadata("Differs"), { "CF-Connecting-IP": "203.0.113.9" })).json()) as { client_id: string };
    const c = (await (await register(metadata("Differs too"), { "CF-Connecting-IP": "203.0.113.8" })).json()) as { client_id: string };
    expect(new Set([a.client_id, b.client_id, c.client_id]).size).toBe(3);
  });

  it("never returns a confidential client twice (its secret exists only in the first response)", async () => {
    const body = { ...metadata("Confidential"), token_endpoint_auth_method: "client_secret_post" };
    const a = (await (await register(body, { "CF-Connecting-IP": "203.0.113.10" })).json()) as { client_id: string; client_secret: string };
    const b = (await (await register(body, { "CF-Connecting-IP": "203.0.113.10" })).json()) as { client_id: string; client_secret: string };
    expect(a.client_id).not.toBe(b.client_id);
    expect(b.client_secret).toEqual(expect.any(String));
  });

  it("answers 503 temporarily_unavailable once MAX_DCR_CLIENTS is reached, storing nothing", async () => {
    const full = { ...env, MAX_DCR_CLIENTS: "1" } as Env;
    const before = (await env.DB.prepare("SELECT COUNT(*) AS n FROM clients").first<{ n: number }>())?.n;
    const res = await register(metadata("Over the cap"), { "CF-Connecting-IP": "203.0.113.11" }, full);
    expect(res.status).toBe(503);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(((await res.json()) as { error: string }).error).toBe("temporarily_unavailable");
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM clients").first<{ n: number }>())?.n).toBe(before);
  });
});

describe("STATIC_CLIENTS", () => {
  const declared = {
    ...env,
    STATIC_CLIENTS: JSON.stringify([
      { client_id: "internal-tool", client_name: "Internal Tool", redirect_uris: ["https://tool.example.com/cb"], token_endpoint_auth_method: "client_secret_basic", client_secret: "s".repeat(40) },
    ]),
  } as Env;

  it("shows a declared client's consent page without the unverified-application warning", async () => {
    const { challenge } = await pkce();
    const url = `${BASE}/authorize?response_type=code&client_id=internal-tool&redirect_uri=${encodeURIComponent("https://tool.example.com/cb")}&code_challenge=${challenge}&code_challenge_method=S256`;
    const res = await call(new Request(url), declared);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Internal Tool");
    expect(html).not.toContain("Unverified application");
  });

  it("authenticates a declared client with its configured secret and refuses a wrong one", async () => {
    const basic = (secret: string) => `Basic ${btoa(`internal-tool:${secret}`)}`;
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: "gh1r_x.y" });
    const good = await call(new Request(`${BASE}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basic("s".repeat(40)) }, body: form }), declared);
    expect(((await good.json()) as { error: string }).error).toBe("invalid_grant");
    const bad = await call(new Request(`${BASE}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basic("wrong") }, body: form }), declared);
    expect(bad.status).toBe(401);
  });

  it("refuses a malformed STATIC_CLIENTS with 503 naming the variable", async () => {
    const res = await call(new Request(`${BASE}/token`, { method: "POST" }), { ...env, STATIC_CLIENTS: "[{" } as Env);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error_description: string }).error_description).toContain("STATIC_CLIENTS");
  });
});

describe("the cron sweep of clients", () => {
  const now = Math.floor(Date.now() / 1000);

  it("deletes DCR clients unused a day after registering or idle for 90 days, and long-stale metadata documents", async () => {
    await clientInsert(env.DB, storedClient("never-used", now - 2 * 86400)).run();
    await clientInsert(env.DB, storedClient("new-unused", now - 3600)).run();
    await clientInsert(env.DB, storedClient("idle", now - 200 * 86400, now - 91 * 86400)).run();
    await clientInsert(env.DB, storedClient("active", now - 200 * 86400, now - 86400)).run();
    await clientInsert(env.DB, storedClient("https://old.example.com/c.json", now - 30 * 86400, undefined, "cimd")).run();
    await env.DB.prepare("UPDATE clients SET fetched_at = ? WHERE client_id = ?").bind(now - 8 * 86400, "https://old.example.com/c.json").run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const left = async (id: string) => (await env.DB.prepare("SELECT 1 FROM clients WHERE client_id = ?").bind(id).first()) !== null;
    expect(await left("never-used")).toBe(false);
    expect(await left("idle")).toBe(false);
    expect(await left("https://old.example.com/c.json")).toBe(false);
    expect(await left("new-unused")).toBe(true);
    expect(await left("active")).toBe(true);
    expect(await getClient(env.DB, "active")).toBeDefined();
  });
});
