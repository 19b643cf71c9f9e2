// The cron sweep on seeded rows of each kind it owns so far: expired grant index rows and old events (clients
// are in client-lifecycle.test.ts). Counts before and after, bounded batches, and a second run that changes nothing.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker";

async function runSweep(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())?.n ?? -1;

describe("the cron sweep", () => {
  it("deletes expired grant index rows and events past EVENT_RETENTION_DAYS (90), in batches of 500, idempotently", async () => {
    const now = Math.floor(Date.now() / 1000);
    const grants = env.DB.prepare("INSERT INTO grants (id, user_id, client_id, scope, status, created_at, expires_at) VALUES (?, 'u', 'c', 'mcp', 'active', ?, ?)");
    await env.DB.batch(Array.from({ length: 600 }, (_, i) => grants.bind(`old-${i}`, now - 100, now - 10)));
    await env.DB.batch(Array.from({ length: 5 }, (_, i) => grants.bind(`live-${i}`, now, now + 3600)));
    const events = env.DB.prepare("INSERT INTO events (type, at) VALUES ('grant.created', ?)");
    await env.DB.batch([...Array.from({ length: 3 }, () => events.bind(now - 91 * 86_400)), ...Array.from({ length: 2 }, () => events.bind(now - 89 * 86_400))]);

    await runSweep();
    expect(await count("SELECT COUNT(*) AS n FROM grants WHERE id LIKE 'old-%'")).toBe(100);
    expect(await count("SELECT COUNT(*) AS n FROM events WHERE at < strftime('%s','now') - 90 * 86400")).toBe(0);
    await runSweep();
    expect(await count("SELECT COUNT(*) AS n FROM grants WHERE id LIKE 'old-%'")).toBe(0);
    await runSweep();
    expect(await count("SELECT COUNT(*) AS n FROM grants WHERE id LIKE 'live-%'")).toBe(5);
    expect(await count("SELECT COUNT(*) AS n FROM events WHERE type = 'grant.created'")).toBe(2);
  });
});
