import { describe, expect, it } from "vitest";
import type { ToolPolicy } from "../config/servers";
import { filterBody, hasToolPolicy, headerValue, planRequest, toolDecision } from "./tool-policy";

const policy: ToolPolicy = { allow: ["echo", "drop", "reset"], deny: ["drop"], scopes: { reset: "tools.admin" } };
const call = (id: number | undefined, name: string) => ({ jsonrpc: "2.0", ...(id === undefined ? {} : { id }), method: "tools/call", params: { name } });

describe("toolDecision", () => {
  it("hides denied and unlisted tools, and asks for a listed tool scope the token lacks", () => {
    expect(toolDecision(policy, ["mcp"], "echo")).toEqual({ kind: "allow" });
    expect(toolDecision(policy, ["mcp"], "drop")).toEqual({ kind: "unknown" });
    expect(toolDecision(policy, ["mcp"], "other")).toEqual({ kind: "unknown" });
    expect(toolDecision(policy, ["mcp"], "reset")).toEqual({ kind: "scope", scope: "tools.admin" });
    expect(toolDecision(policy, ["mcp", "tools.admin"], "reset")).toEqual({ kind: "allow" });
    expect(toolDecision({ deny: [], scopes: {} }, [], "anything")).toEqual({ kind: "allow" });
  });

  it("knows when there is no policy at all", () => {
    expect(hasToolPolicy({ deny: [], scopes: {} })).toBe(false);
    expect(hasToolPolicy({ allow: [], deny: [], scopes: {} })).toBe(true);
  });
});

describe("filterBody", () => {
  it("keeps only visible tools in tools/list results, one message or a batch, and leaves other messages alone", () => {
    const list = { jsonrpc: "2.0", id: 1, result: { tools: [{ name: "echo" }, { name: "drop" }, { name: "reset" }, { name: 5 }], nextCursor: "c" } };
    expect(filterBody(policy, ["mcp"], list)).toEqual({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "echo" }], nextCursor: "c" } });
    const other = { jsonrpc: "2.0", id: 2, result: { content: [] } };
    expect(filterBody(policy, ["mcp", "tools.admin"], [list, other])).toEqual([{ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "echo" }, { name: "reset" }], nextCursor: "c" } }, other]);
  });

  it("is undefined for a body that is not JSON-RPC", () => {
    for (const body of [undefined, "text", [], [{ id: 1 }], { result: {} }]) expect(filterBody(policy, [], body)).toBeUndefined();
  });
});

describe("planRequest", () => {
  it("forwards allowed requests as sent, noting a tools/list", () => {
    expect(planRequest(policy, ["mcp"], { jsonrpc: "2.0", id: 1, method: "tools/list" }, {})).toEqual({ kind: "forward", refused: [], listsTools: true });
    expect(planRequest(policy, ["mcp"], call(1, "echo"), {})).toEqual({ kind: "forward", refused: [], listsTools: false });
    expect(planRequest(policy, ["mcp"], "not json-rpc", {})).toEqual({ kind: "forward", refused: [], listsTools: false });
  });

  it("answers a refused call itself with -32602 and its id; a refused notification gets no answer", () => {
    expect(planRequest(policy, ["mcp"], call(7, "drop"), {})).toEqual({ kind: "answer", refused: [{ jsonrpc: "2.0", id: 7, error: { code: -32602, message: "Tool drop not found" } }] });
    expect(planRequest(policy, ["mcp"], [call(undefined, "drop")], {})).toEqual({ kind: "answer", refused: [] });
  });

  it("forwards the rest of a batch without the refused calls", () => {
    const list = { jsonrpc: "2.0", id: 1, method: "tools/list" };
    expect(planRequest(policy, ["mcp"], [list, call(2, "other")], {})).toEqual({ kind: "forward", replaced: [list], refused: [{ jsonrpc: "2.0", id: 2, error: { code: -32602, message: "Tool other not found" } }], listsTools: true });
  });

  it("asks for the tool scope before anything is sent, even inside a batch", () => {
    expect(planRequest(policy, ["mcp"], [call(1, "echo"), call(2, "reset")], {})).toEqual({ kind: "step-up", scope: "tools.admin", tool: "reset" });
  });

  it("holds Mcp-Method and Mcp-Name against the body (SEP-2243)", () => {
    expect(planRequest(policy, ["mcp"], call(1, "echo"), { method: "tools/call", name: "echo" }).kind).toBe("forward");
    expect(planRequest(policy, ["mcp"], { jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "file:///a" } }, { method: "resources/read", name: "file:///a" }).kind).toBe("forward");
    expect(planRequest(policy, ["mcp"], call(1, "drop"), { method: "tools/call", name: "echo" })).toEqual({ kind: "mismatch", reason: "Mcp-Name does not match the body" });
    expect(planRequest(policy, ["mcp"], call(1, "echo"), { method: "tools/list" })).toEqual({ kind: "mismatch", reason: "Mcp-Method does not match the body's method" });
    expect(planRequest(policy, ["mcp"], [call(1, "echo")], { method: "tools/call" }).kind).toBe("mismatch");
    expect(planRequest(policy, ["mcp"], "garbage", { name: "echo" }).kind).toBe("mismatch");
    expect(planRequest(policy, ["mcp"], call(1, "café"), { method: "tools/call", name: "=?base64?Y2Fmw6k=?=" }).kind).toBe("answer");
  });

  it("reads SEP-2243's base64-wrapped header values, and refuses a wrapping that is not UTF-8", () => {
    expect(headerValue("echo")).toBe("echo");
    expect(headerValue("=?base64?Y2Fmw6k=?=")).toBe("café");
    expect(headerValue("=?base64?/w==?=")).toBeUndefined();
  });
});
