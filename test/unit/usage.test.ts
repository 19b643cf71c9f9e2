// Usage attribution at /mcp and the gateway: a grant's first request is written at once, later ones at most once a
// minute, with the day × server × tool rows they add to.
import { describe, expect, it } from "vitest";
import { USAGE_FLUSH_MS, UsageCounter } from "../../src/mcp/usage";

const MCP = { server: "/mcp", tools: [] };
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const row = (at: number, server: string, tool: string, requests: number, toolCalls: number) => ({ day: day(at), userId: "usr_1", server, tool, requests, toolCalls });

describe("UsageCounter", () => {
  it("writes a grant's first request at once, then batches the next minute's into one write", () => {
    const counter = new UsageCounter();
    expect(counter.add("g1", "usr_1", "cli_usr_1", MCP, 1_000)).toEqual([{ userId: "usr_1", clientId: "cli_usr_1", requests: 1, counts: [row(1_000, "/mcp", "", 1, 0)] }]);
    for (let i = 1; i <= 5; i++) expect(counter.add("g1", "usr_1", "cli_usr_1", MCP, 1_000 + i)).toEqual([]);
    expect(counter.add("g1", "usr_1", "cli_usr_1", MCP, 1_000 + USAGE_FLUSH_MS)).toEqual([{ userId: "usr_1", clientId: "cli_usr_1", requests: 6, counts: [row(1_000, "/mcp", "", 6, 0)] }]);
  });

  it("counts grants apart", () => {
    const counter = new UsageCounter();
    expect(counter.add("g1", "usr_1", "cli_usr_1", MCP, 0)).toEqual([{ userId: "usr_1", clientId: "cli_usr_1", requests: 1, counts: [row(0, "/mcp", "", 1, 0)] }]);
    expect(counter.add("g2", "usr_2", "cli_usr_2", MCP, 1)).toEqual([{ userId: "usr_2", clientId: "cli_usr_2", requests: 1, counts: [{ ...row(1, "/mcp", "", 1, 0), userId: "usr_2" }] }]);
    expect(counter.add("g1", "usr_1", "cli_usr_1", MCP, 2)).toEqual([]);
  });

  it("counts per server and tool: a request once per tool it calls, each call, other requests under tool ''", () => {
    const counter = new UsageCounter();
    const t0 = Date.UTC(2026, 11, 1, 23, 59, 30);
    expect(counter.add("g1", "usr_1", "cli_usr_1", { server: "/mcp/demo", tools: ["search"] }, t0)).toEqual([{ userId: "usr_1", clientId: "cli_usr_1", requests: 1, counts: [row(t0, "/mcp/demo", "search", 1, 1)] }]);
    counter.add("g1", "usr_1", "cli_usr_1", { server: "/mcp/demo", tools: ["search", "search", "fetch"] }, t0 + 1);
    counter.add("g1", "usr_1", "cli_usr_1", { server: "/mcp", tools: [] }, t0 + 2);
    // Past midnight UTC: the next day's row, not the flush's.
    counter.add("g1", "usr_1", "cli_usr_1", { server: "/mcp/demo", tools: ["search"] }, t0 + 40_000);
    expect(counter.add("g1", "usr_1", "cli_usr_1", { server: "/mcp", tools: ["whoami"] }, t0 + USAGE_FLUSH_MS)).toEqual([
      {
        userId: "usr_1",
        clientId: "cli_usr_1",
        requests: 4,
        counts: [
          row(t0 + 1, "/mcp/demo", "search", 1, 2),
          row(t0 + 1, "/mcp/demo", "fetch", 1, 1),
          row(t0 + 2, "/mcp", "", 1, 0),
          row(t0 + 40_000, "/mcp/demo", "search", 1, 1),
          row(t0 + USAGE_FLUSH_MS, "/mcp", "whoami", 1, 1),
        ],
      },
    ]);
  });

  it("holds at most 64 tool rows per grant between writes: further names, client input, count under tool ''", () => {
    const counter = new UsageCounter();
    counter.add("g1", "usr_1", "cli_usr_1", MCP, 0);
    const names = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
    counter.add("g1", "usr_1", "cli_usr_1", { server: "/mcp/demo", tools: names }, 1);
    const [write] = counter.add("g1", "usr_1", "cli_usr_1", { server: "/mcp/demo", tools: ["t0"] }, USAGE_FLUSH_MS);
    expect(write?.counts).toHaveLength(65);
    expect(write?.counts.slice(0, 2)).toEqual([row(1, "/mcp/demo", "t0", 2, 2), row(1, "/mcp/demo", "t1", 1, 1)]);
    expect(write?.counts.at(-1)).toEqual(row(1, "/mcp/demo", "", 1, 10_000 - 64));
    expect(write?.counts.reduce((sum, r) => sum + r.toolCalls, 0)).toBe(10_001);
  });
});
