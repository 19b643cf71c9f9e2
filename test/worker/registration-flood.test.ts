// A registration flood (issue 12 item 7): never-used registrations are capped per source (IPv6 by /64), and near
// MAX_DCR_CLIENTS the cron sweep evicts the oldest never-used registrations first. Its own file: fresh D1 rows.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientInsert } from "../../src/db/clients";
import type { Env } from "../../src/env";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { storedClient } from "./helpers/clients";
import { obtainCode, REDIRECT_URI, registerClient, tokenRequest } from "./helpers/oauth";

async function call(request: Request, target: Env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const register = (ip: string, name: string, target: Env) =>
  call(
    new Request(`${BASE}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
      body: JSON.stringify({ client_name: name, redirect_uris: ["http://127.0.0.1/cb"], token_endpoint_auth_method: "none" }),
    }),
    target,
  );

const clientIds = async () => (await env.DB.prepare("SELECT client_id FROM clients ORDER BY client_id").all<{ client_id: string }>()).results.map((r) => r.client_id);

describe("a registration flood", () => {
  it("evicts the oldest never-used registrations first when the table nears MAX_DCR_CLIENTS, sparing clients in use", async () => {
    const now = Math.floor(Date.now() / 1000);
    await clientInsert(env.DB, storedClient("expired", now - 25 * 3600)).run();
    for (let i = 0; i < 10; i++) await clientInsert(env.DB, storedClient(`used-${i}`, now - 30 * 86_400, now - 3600)).run();
    for (let i = 0; i < 12; i++) await clientInsert(env.DB, storedClient(`unused-${String(i).padStart(2, "0")}`, now - (20 - i) * 3600)).run();
    // 22 left after the day-old unused one goes; 10% headroom under a cap of 20 keeps 18: the 4 oldest unused go.
    const capped = { ...env, MAX_DCR_CLIENTS: "20" } as Env;
    const runSweep = async () => {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }), capped, ctx);
      await waitOnExecutionContext(ctx);
    };
    await runSweep();
    const used = Array.from({ length: 10 }, (_, i) => `used-${i}`);
    const newest = Array.from({ length: 8 }, (_, i) => `unused-${String(i + 4).padStart(2, "0")}`);
    expect(await clientIds()).toEqual([...newest, ...used].sort());
    await runSweep();
    expect(await clientIds()).toEqual([...newest, ...used].sort());
  });

  it("caps never-used registrations per source, an IPv6 source by its /64, without touching other sources", async () => {
    const capped = { ...env, MAX_DCR_CLIENTS_PER_SOURCE: "3" } as Env;
    const first: string[] = [];
    for (const host of ["1", "2", "abcd:1"]) {
      const res = await register(`2001:db8:5:6::${host}`, `flood ${host}`, capped);
      expect(res.status).toBe(201);
      first.push(((await res.json()) as { client_id: string }).client_id);
    }
    const before = await clientIds();
    const refused = await register("2001:db8:5:6:ffff:ffff:ffff:ffff", "flood 4", capped);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Cache-Control")).toBe("no-store");
    expect(await refused.json()).toEqual({ error: "temporarily_unavailable", error_description: "too many unused registrations from this network: sign in with one of them, or retry later" });
    expect(await clientIds()).toEqual(before);
    expect((await register("2001:db8:5:7::1", "next /64", capped)).status).toBe(201);
    expect((await register("192.0.2.10", "an IPv4 address", capped)).status).toBe(201);
    // Once one of them is used for a token it no longer counts: a network whose people sign in is never refused.
    await env.DB.prepare("UPDATE clients SET last_used_at = ? WHERE client_id = ?").bind(Math.floor(Date.now() / 1000), first[0]).run();
    expect((await register("2001:db8:5:6::5", "flood 5", capped)).status).toBe(201);
  });

  it("counts a registration as used only once a token is issued to it, not for authenticating at /token, /revoke or /introspect", async () => {
    const client = await registerClient();
    const lastUsed = async () => (await env.DB.prepare("SELECT last_used_at FROM clients WHERE client_id = ?").bind(client.client_id).first<{ last_used_at: number | null }>())?.last_used_at;
    const post = (path: string, body: Record<string, string>) =>
      call(new Request(`${BASE}${path}`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) }), env);
    expect((await post("/token", { grant_type: "refresh_token", refresh_token: "junk", client_id: client.client_id })).status).toBe(400);
    expect((await post("/revoke", { token: "junk", client_id: client.client_id })).status).toBe(200);
    expect((await post("/introspect", { token: "junk", client_id: client.client_id })).status).toBe(401);
    expect(await lastUsed()).toBeNull();
    const { code, verifier } = await obtainCode(client);
    const issued = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id });
    expect(issued.status).toBe(200);
    await expect.poll(lastUsed).toBeGreaterThan(Math.floor(Date.now() / 1000) - 60);
  });
});
