// The event writer: many events in few statements (D1 binds at most 100 parameters to one), in order, and the
// conditional form storing all of them or none.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eventInserts, eventInsertsWhere, type SecurityEvent } from "../../src/db/events";

const many = (grantId: string, n: number): SecurityEvent[] => Array.from({ length: n }, (_, i) => ({ type: "code.issued", grantId, detail: { i } }));

const stored = async (grantId: string) =>
  (await env.DB.prepare("SELECT detail FROM events WHERE grant_id = ? ORDER BY id").bind(grantId).all<{ detail: string }>()).results.map((r) => (JSON.parse(r.detail) as { i: number }).i);

describe("eventInserts", () => {
  it("appends 40 events in three statements, in order", async () => {
    const statements = eventInserts(env.DB, many("g_many", 40));
    expect(statements).toHaveLength(3);
    await env.DB.batch(statements);
    expect(await stored("g_many")).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("makes no statement for no event", () => {
    expect(eventInserts(env.DB, [])).toEqual([]);
    expect(eventInsertsWhere(env.DB, [], "1", [])).toEqual([]);
  });
});

describe("eventInsertsWhere", () => {
  it("appends every event when the condition holds, with its parameter after 16 events' columns", async () => {
    await env.DB.batch(eventInsertsWhere(env.DB, many("g_where", 20), "? = 'yes'", ["yes"]));
    expect(await stored("g_where")).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("appends none when it does not", async () => {
    await env.DB.batch(eventInsertsWhere(env.DB, many("g_not", 20), "? = 'yes'", ["no"]));
    expect(await stored("g_not")).toEqual([]);
  });
});
