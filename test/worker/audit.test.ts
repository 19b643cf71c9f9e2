// The request's trail: its security events and background writes go in one D1 batch after the response, with those
// of the requests finishing with it, and a handler's own awaited write carries its events and those recorded so far,
// all or none written.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import type { AppEnv } from "../../src/http/app-env";
import { GROUP_MAX_STATEMENTS } from "../../src/db/group-commit";
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
// Requests held under way until the test opens their gate, so that they finish together; `?later=n` adds n later
// writes, `?fail=1` one that fails (the probe row exists).
const gates = new Map<string, () => void>();
app.post("/gated/:id", async (c) => {
  const id = c.req.param("id");
  audit(c, { type: "login.failed", clientId: id });
  for (let i = 0; i < Number(c.req.query("later") ?? 0); i++) writeLater(c, c.env.DB.prepare("UPDATE audit_probe SET later = later + 1 WHERE id = ?").bind(id));
  if (c.req.query("fail")) writeLater(c, c.env.DB.prepare("INSERT INTO audit_probe (id) VALUES ('taken')"));
  await new Promise<void>((resolve) => gates.set(id, resolve));
  return c.text("ok");
});
app.onError(onError);

app.post("/gated-free/:id", (c) => {
  audit(c, { type: "login.failed", clientId: c.req.param("id") });
  return c.text("ok");
});

/** Starts a gated request; `done` settles once its background work has. */
function gated(id: string, on: Env, query = ""): { open: () => void; done: Promise<Response> } {
  const done = post(`gated/${id}${query}`, on);
  return { open: () => gates.get(id)?.(), done };
}

/** Lets every gated request started so far reach its gate. */
const underWay = () => new Promise((resolve) => setTimeout(resolve, 20));

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
    // One batch of the insert and one statement for the event before it and its own; one of the later update and the
    // last event.
    expect(trips).toEqual(["batch:2", "batch:2"]);
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

describe("the background writes of requests finishing together", () => {
  it("go in one batch, written by the last request under way as it finishes", async () => {
    const trips: string[] = [];
    const on = countingD1(env, trips);
    const requests = ["a", "b", "c", "d", "e"].map((x) => gated(`together-${x}`, on));
    await underWay();
    for (const r of requests) r.open();
    expect((await Promise.all(requests.map((r) => r.done))).map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(trips).toEqual(["batch:5"]);
    expect(await eventTypes("together-e")).toEqual(["login.failed"]);
  });

  it("wait no longer than the window for a request still under way", async () => {
    const trips: string[] = [];
    const on = countingD1(env, trips);
    const first = gated("window-1", on);
    const second = gated("window-2", on);
    await underWay();
    first.open();
    await first.done;
    expect(trips).toEqual(["batch:1"]);
    expect(await eventTypes("window-1")).toEqual(["login.failed"]);
    expect(await eventTypes("window-2")).toEqual([]);
    second.open();
    await second.done;
    expect(trips).toEqual(["batch:1", "batch:1"]);
    expect(await eventTypes("window-2")).toEqual(["login.failed"]);
  });

  it("are tried again one request at a time when the batch fails, so one failing write costs only its own request's", async () => {
    await env.DB.prepare("CREATE TABLE IF NOT EXISTS audit_probe (id TEXT PRIMARY KEY, later INTEGER)").run();
    await env.DB.prepare("INSERT OR IGNORE INTO audit_probe (id) VALUES ('taken')").run();
    const trips: string[] = [];
    const on = countingD1(env, trips);
    const requests = [gated("retry-1", on), gated("retry-bad", on, "?fail=1"), gated("retry-2", on)];
    await underWay();
    for (const r of requests) r.open();
    await Promise.all(requests.map((r) => r.done));
    expect(trips[0]).toBe("batch:4");
    expect(trips.slice(1).sort()).toEqual(["batch:1", "batch:1", "batch:2"]);
    expect(await eventTypes("retry-1")).toEqual(["login.failed"]);
    expect(await eventTypes("retry-2")).toEqual(["login.failed"]);
    expect(await eventTypes("retry-bad")).toEqual([]);
  });

  it("are cut into batches of at most GROUP_MAX_STATEMENTS, one request's writes never split", async () => {
    await env.DB.prepare("CREATE TABLE IF NOT EXISTS audit_probe (id TEXT PRIMARY KEY, later INTEGER)").run();
    const ids = ["cut-1", "cut-2", "cut-3"];
    for (const id of ids) await env.DB.prepare("INSERT OR IGNORE INTO audit_probe (id, later) VALUES (?, 0)").bind(id).run();
    const trips: string[] = [];
    const on = countingD1(env, trips);
    const later = Math.floor(GROUP_MAX_STATEMENTS / 2.5);
    const requests = ids.map((id) => gated(id, on, `?later=${later}`));
    await underWay();
    for (const r of requests) r.open();
    await Promise.all(requests.map((r) => r.done));
    expect(trips).toEqual([`batch:${2 * (later + 1)}`, `batch:${later + 1}`]);
    for (const id of ids) expect(await env.DB.prepare("SELECT later FROM audit_probe WHERE id = ?").bind(id).first("later")).toBe(later);
  });

  it("stop waiting for a request cancelled by its client once it has been under way for 30 s", async () => {
    const trips: string[] = [];
    const on = countingD1(env, trips);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      // Held, as a request whose client went away is: workerd never runs the rest of it.
      const held = gated("cancelled-held", on);
      await underWay();
      // Still young, it is under way: a request finishing now leaves its writes to wait (nothing sent yet).
      const young = createExecutionContext();
      await app.fetch(new Request("http://localhost/gated-free/cancelled-young", { method: "POST" }), on, young);
      expect(trips).toEqual([]);
      await waitOnExecutionContext(young);
      expect(trips).toEqual(["batch:1"]);
      vi.setSystemTime(Date.now() + 30_001);
      // Past 30 s it no longer counts: the next request is the last under way and writes as it answers.
      const late = createExecutionContext();
      await app.fetch(new Request("http://localhost/gated-free/cancelled-late", { method: "POST" }), on, late);
      expect(trips).toEqual(["batch:1", "batch:1"]);
      await waitOnExecutionContext(late);
      held.open();
      await held.done;
    } finally {
      vi.useRealTimers();
    }
  });
});
