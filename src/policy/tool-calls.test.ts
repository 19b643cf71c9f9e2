import { describe, expect, it } from "vitest";
import { calledTools } from "./tool-calls";

describe("calledTools", () => {
  it("names the tool of a tools/call request, and none for other methods, notifications and responses", () => {
    expect(calledTools({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } })).toEqual(["whoami"]);
    expect(calledTools({ jsonrpc: "2.0", id: 1, method: "tools/list" })).toEqual([]);
    expect(calledTools({ jsonrpc: "2.0", method: "notifications/initialized" })).toEqual([]);
    expect(calledTools({ jsonrpc: "2.0", id: 1, result: { name: "whoami" } })).toEqual([]);
    expect(calledTools(null)).toEqual([]);
    expect(calledTools("tools/call")).toEqual([]);
  });

  it("names every call of a batch in order, repeats kept", () => {
    const call = (id: number, name: string) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name } });
    expect(calledTools([call(1, "search"), { jsonrpc: "2.0", id: 2, method: "ping" }, call(3, "fetch.page"), call(4, "search")])).toEqual(["search", "fetch.page", "search"]);
  });

  it("does not count a name outside the MCP tool-name rules", () => {
    for (const name of ["", "a b", "x".repeat(129), "=HYPERLINK()", "naïve", 42, undefined]) {
      expect(calledTools({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name } })).toEqual([]);
    }
    expect(calledTools({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x".repeat(128) } })).toEqual(["x".repeat(128)]);
  });
});
