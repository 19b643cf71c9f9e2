// Usage attribution at /mcp: a grant's first request is written at once, later ones at most once a minute.
import { describe, expect, it } from "vitest";
import { USAGE_FLUSH_MS, UsageCounter } from "../../src/mcp/usage";

describe("UsageCounter", () => {
  it("writes a grant's first request at once, then batches the next minute's into one write", () => {
    const counter = new UsageCounter();
    expect(counter.add("g1", "usr_1", "cli_usr_1", 1_000)).toEqual([{ userId: "usr_1", clientId: "cli_usr_1", requests: 1 }]);
    for (let i = 1; i <= 5; i++) expect(counter.add("g1", "usr_1", "cli_usr_1", 1_000 + i)).toEqual([]);
    expect(counter.add("g1", "usr_1", "cli_usr_1", 1_000 + USAGE_FLUSH_MS)).toEqual([{ userId: "usr_1", clientId: "cli_usr_1", requests: 6 }]);
  });

  it("counts grants apart", () => {
    const counter = new UsageCounter();
    expect(counter.add("g1", "usr_1", "cli_usr_1", 0)).toEqual([{ userId: "usr_1", clientId: "cli_usr_1", requests: 1 }]);
    expect(counter.add("g2", "usr_2", "cli_usr_2", 1)).toEqual([{ userId: "usr_2", clientId: "cli_usr_2", requests: 1 }]);
    expect(counter.add("g1", "usr_1", "cli_usr_1", 2)).toEqual([]);
  });
});
