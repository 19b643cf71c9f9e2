// The request's trail: its security events and background writes go in one D1 batch after the response, and a
// handler's own awaited write carries its events and those recorded so far, all or none written.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import type { AppEnv } from "../../src/http/app-env";
import { audit, auditTrail, writeLater, writeWithEvents } from "../../src/http/audit";
import { onError } from "../../src/http/respond";
import { countingD1 } from "./helpers/d1";

const app = new Hono<AppEnv>();
app.use(async (c, next) => {
  c.set("correlationId", crypto.randomUUID());
  c.set("config", loadConfig(c.env));
  await next();
});
app.use(auditTrail);
app.post("/:id", async (c) => {
  const id = c.req.param("id");
  audit(c, { type: "login.failed", clientId: id });
  await writeWithEvents(c, [c.env.DB.prepare("INSERT INTO audit_probe (id) VALUES (?)").bind(id)], [{ type: "client.registered", clientId: id }]);
  audit(c, { type: "client.deleted", clientId: id });
  writeLater(c, c.env.DB.prepare("UPDATE audit_probe SET later = 1 WHERE id = ?").bind(id));
  return c.text("ok");
});
app.onError(onError);

async function post(id: string, on: Env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://localhost/${id}`, { method: "POST" }), on, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const eventTypes = async (clientId: string) =>
  (await env.DB.prepare("SELECT type FROM events WHERE client_id = ? ORDER BY id").bind(clientId).all<{ type: string }>()).results.map((r) => r.type);

describe("the audit trail", () => {
  it("writes the handler's write with its events and those so far, and the rest with the later writes after the response", async () => {
    await env.DB.prepare("CREATE TABLE IF NOT EXISTS audit_probe (id TEXT PRIMARY KEY, later INTEGER)").run();
    const trips: string[] = [];
    expect((await post("trail-1", countingD1(env, trips))).status).toBe(200);
    // One batch of the insert, the event before it and its own; one of the later update and the last event.
    expect(trips).toEqual(["batch:3", "batch:2"]);
    expect(await eventTypes("trail-1")).toEqual(["login.failed", "client.registered", "client.deleted"]);
    expect(await env.DB.prepare("SELECT later FROM audit_probe WHERE id = ?").bind("trail-1").first("later")).toBe(1);
  });

  it("drops the failed write's own events and writes the earlier ones after the response", async () => {
    await env.DB.prepare("CREATE TABLE IF NOT EXISTS audit_probe (id TEXT PRIMARY KEY, later INTEGER)").run();
    await env.DB.prepare("INSERT INTO audit_probe (id) VALUES ('trail-2')").run();
    // The primary key is taken: the batch fails as a whole, and what it recorded did not happen.
    const res = await post("trail-2");
    expect(res.status).toBe(500);
    expect(await eventTypes("trail-2")).toEqual(["login.failed"]);
  });
});
