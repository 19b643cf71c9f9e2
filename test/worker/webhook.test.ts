// The `user.created` webhook on real workerd: written with the user in one D1 batch, sent signed right after the
// sign-in (never in its way), retried by the sweep with backoff, dead after 24 h, and retried from the admin API.
// The receiver is a stub of globalThis.fetch that checks the HMAC itself.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { sweep } from "../../src/sweep";
import { verifySignature } from "../../src/webhook/signature";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { obtainCode, registerClient, type TestClient } from "./helpers/oauth";

const HOOK_URL = "https://hooks.example.com/gh";
const SECRET = "whsec_worker_test_secret_0123456789";
const TOKEN = "test-admin-token-0123456789abcdef-0123";
/** One environment object for the whole file, so its parsed configuration is reused like an isolate's. */
const hookEnv = { ...env, CAPTURE_WEBHOOK_URL: HOOK_URL, CAPTURE_WEBHOOK_SECRET: SECRET } as Env;

interface Delivery {
  headers: Headers;
  body: string;
  check: string;
}

/** The receiver: answers `status` and records each delivery with its own signature check at `clock()` seconds. */
function receiver(status: () => number, clock = () => Math.floor(Date.now() / 1000)): Delivery[] {
  const deliveries: Delivery[] = [];
  const original = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(HOOK_URL)) return original(input, init);
    const body = await request.text();
    deliveries.push({ headers: request.headers, body, check: await verifySignature(SECRET, request.headers.get("Gatehouse-Signature"), body, clock()) });
    return new Response(null, { status: status() });
  });
  return deliveries;
}

interface OutboxRow {
  id: string;
  type: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

async function outboxFor(email: string): Promise<OutboxRow[]> {
  const { results } = await env.DB.prepare("SELECT * FROM outbox WHERE json_extract(payload, '$.data.email') = ?").bind(email).all<OutboxRow>();
  return results;
}

async function admin(path: string, method = "GET"): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}/admin/api${path}`, { method, headers: { Authorization: `Bearer ${TOKEN}` } }), hookEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

let client: TestClient;
beforeEach(async () => {
  // Each test sees only its own outbox rows (the sweep would otherwise retry another test's).
  await env.DB.prepare("DELETE FROM outbox").run();
  client = await registerClient({ client_name: "Hook Client" });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("the user.created webhook", () => {
  it("writes exactly one outbox row on the first sign-in and delivers it signed; a second sign-in writes none", async () => {
    const deliveries = receiver(() => 204);
    const { redirect } = await obtainCode(client, { email: "first@hooks.example", target: hookEnv });
    expect(redirect.searchParams.get("code")).toEqual(expect.any(String));

    const rows = await outboxFor("first@hooks.example");
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ type: "user.created", status: "delivered", attempts: 1, last_error: null });
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    expect(delivery?.check).toBe("ok");
    expect(delivery?.headers.get("Content-Type")).toBe("application/json");
    expect(delivery?.headers.get("Gatehouse-Event-Id")).toBe(row?.id);
    expect(delivery?.headers.get("Gatehouse-Signature")).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(delivery?.body).toBe(row?.payload);

    const user = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind("first@hooks.example").first<{ id: string }>();
    expect(JSON.parse(delivery?.body ?? "")).toEqual({
      id: row?.id,
      type: "user.created",
      created_at: row?.created_at,
      data: {
        user_id: user?.id,
        email: "first@hooks.example",
        email_verified: true,
        domain: "hooks.example",
        org_id: "hooks.example",
        org_name: "Hooks",
        name: "Ada Lovelace",
        provider: "dev",
        first_client_id: client.client_id,
        first_client_name: "Hook Client",
      },
    });

    await obtainCode(client, { email: "first@hooks.example", target: hookEnv });
    expect(await outboxFor("first@hooks.example")).toHaveLength(1);
    expect(deliveries).toHaveLength(1);
  });

  it("writes no outbox row when no webhook is configured", async () => {
    await obtainCode(client, { email: "unhooked@hooks.example" });
    expect(await outboxFor("unhooked@hooks.example")).toHaveLength(0);
  });

  it("leaves the row pending with a 1-minute backoff when the receiver fails, and the sign-in still succeeds", async () => {
    const deliveries = receiver(() => 500);
    const { redirect } = await obtainCode(client, { email: "failing@hooks.example", target: hookEnv });
    expect(redirect.searchParams.get("code")).toEqual(expect.any(String));
    expect(deliveries).toHaveLength(1);
    const [row] = await outboxFor("failing@hooks.example");
    expect(row).toMatchObject({ status: "pending", attempts: 1, last_error: "HTTP 500", delivered_at: null });
    expect((row?.next_attempt_at ?? 0) - (row?.created_at ?? 0)).toBeGreaterThanOrEqual(60);
    expect((row?.next_attempt_at ?? 0) - (row?.created_at ?? 0)).toBeLessThan(70);
  });

  it("records a receiver that cannot be reached as a network error, without the URL or secret", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (new Request(input, init).url.startsWith(HOOK_URL)) throw new TypeError(`connect failed to ${HOOK_URL}`);
      throw new Error("unexpected fetch");
    });
    await obtainCode(client, { email: "unreachable@hooks.example", target: hookEnv });
    const [row] = await outboxFor("unreachable@hooks.example");
    expect(row).toMatchObject({ status: "pending", attempts: 1, last_error: "network error" });
  });

  it("is retried by the sweep once due and delivered, and not retried before", async () => {
    let status = 500;
    let clock = Math.floor(Date.now() / 1000);
    const deliveries = receiver(() => status, () => clock);
    await obtainCode(client, { email: "retried@hooks.example", target: hookEnv });
    const [first] = await outboxFor("retried@hooks.example");
    if (!first) throw new Error("no outbox row");

    clock = first.next_attempt_at - 1;
    expect((await sweep(hookEnv, loadConfig(hookEnv), clock * 1000)).webhooks_sent).toBe(0);
    expect(deliveries).toHaveLength(1);

    status = 200;
    clock = first.next_attempt_at;
    const summary = await sweep(hookEnv, loadConfig(hookEnv), clock * 1000);
    expect(summary).toMatchObject({ webhooks_sent: 1, webhooks_dead: 0 });
    expect(deliveries).toHaveLength(2);
    expect(deliveries[1]?.check).toBe("ok");
    expect(deliveries[1]?.body).toBe(first.payload);
    const [after] = await outboxFor("retried@hooks.example");
    expect(after).toMatchObject({ status: "delivered", attempts: 2, delivered_at: clock, last_error: null });
  });

  it("goes dead 24 hours after the event, shows in the admin list, and a retry from the admin API delivers it", async () => {
    let status = 503;
    const deliveries = receiver(() => status);
    await obtainCode(client, { email: "dead@hooks.example", target: hookEnv });
    const [row] = await outboxFor("dead@hooks.example");
    if (!row) throw new Error("no outbox row");

    const summary = await sweep(hookEnv, loadConfig(hookEnv), (row.created_at + 86_400) * 1000);
    expect(summary).toMatchObject({ webhooks_sent: 0, webhooks_dead: 1 });
    const [dead] = await outboxFor("dead@hooks.example");
    expect(dead).toMatchObject({ status: "dead", attempts: 2, last_error: "HTTP 503" });

    const list = await admin("/webhooks/dead");
    expect(list.status).toBe(200);
    expect(list.headers.get("Cache-Control")).toBe("no-store");
    const body = (await list.json()) as { items: { id: string; status: string; attempts: number; last_error: string; event: { data: { email: string } } }[]; next_cursor: string | null };
    const item = body.items.find((i) => i.id === row.id);
    expect(item).toMatchObject({ status: "dead", attempts: 2, last_error: "HTTP 503", event: { data: { email: "dead@hooks.example" } } });

    status = 200;
    const retry = await admin(`/webhooks/${row.id}/retry`, "POST");
    expect(retry.status).toBe(202);
    expect(await retry.json()).toEqual({ id: row.id, status: "pending" });
    const [delivered] = await outboxFor("dead@hooks.example");
    expect(delivered).toMatchObject({ status: "delivered", attempts: 3 });
    expect(deliveries.at(-1)?.check).toBe("ok");
    expect(((await (await admin("/webhooks/dead")).json()) as { items: { id: string }[] }).items.map((i) => i.id)).not.toContain(row.id);

    const again = await admin(`/webhooks/${row.id}/retry`, "POST");
    expect(again.status).toBe(409);
    expect((await admin("/webhooks/no-such-id/retry", "POST")).status).toBe(404);
  });

  it("pages the dead list and deletes delivered rows after 7 days in the sweep", async () => {
    const now = Math.floor(Date.now() / 1000);
    const insert = env.DB.prepare("INSERT INTO outbox (id, type, payload, status, attempts, next_attempt_at, created_at, delivered_at) VALUES (?, 'user.created', '{}', ?, 1, ?, ?, ?)");
    await env.DB.batch([
      ...Array.from({ length: 3 }, (_, i) => insert.bind(`dead-${i}`, "dead", now, now - 100 + i, null)),
      insert.bind("old-delivered", "delivered", now, now - 8 * 86_400, now - 8 * 86_400),
      insert.bind("new-delivered", "delivered", now, now - 86_400, now - 86_400),
    ]);
    const first = (await (await admin("/webhooks/dead?limit=2")).json()) as { items: { id: string }[]; next_cursor: string | null };
    expect(first.items).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = (await (await admin(`/webhooks/dead?limit=2&cursor=${first.next_cursor ?? ""}`)).json()) as { items: { id: string }[] };
    expect([...first.items, ...second.items].map((i) => i.id)).toEqual(expect.arrayContaining(["dead-0", "dead-1", "dead-2"]));

    receiver(() => 200);
    const summary = await sweep(hookEnv, loadConfig(hookEnv), now * 1000);
    expect(summary.outbox_deleted).toBe(1);
    expect(await env.DB.prepare("SELECT id FROM outbox WHERE id IN ('old-delivered', 'new-delivered')").all()).toMatchObject({ results: [{ id: "new-delivered" }] });
  });
});
