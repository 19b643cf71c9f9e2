import { describe, expect, it } from "vitest";
import { parseServers } from "./servers";

const context = { publicUrl: "https://auth.example.com", scopes: ["mcp", "read", "write"], providers: ["okta", "corp", "github"] };

function parse(value: unknown) {
  const problems: { variable: string; message: string }[] = [];
  const servers = parseServers(typeof value === "string" ? value : JSON.stringify(value), problems, context);
  return { servers, problems: problems.map((p) => `${p.variable} ${p.message}`) };
}

describe("parseServers (MCP_SERVERS)", () => {
  it("is empty and silent when unset or blank", () => {
    const problems: { variable: string; message: string }[] = [];
    expect(parseServers(undefined, problems, context)).toEqual([]);
    expect(parseServers("  ", problems, context)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("applies every default: label = name, path /mcp/<name>, resource PUBLIC_URL + path, scopes = SCOPES, 30 s", () => {
    expect(parse([{ name: "github", origin: "https://mcp.internal.example/mcp?team=core" }])).toEqual({
      servers: [
        {
          name: "github",
          label: "github",
          path: "/mcp/github",
          resource: "https://auth.example.com/mcp/github",
          origin: "https://mcp.internal.example/mcp?team=core",
          service: undefined,
          scopes: ["mcp", "read", "write"],
          tools: { allow: undefined, deny: [], scopes: {} },
          timeoutMs: 30_000,
          requires: [],
        },
      ],
      problems: [],
    });
  });

  it("reads the linked providers a server requires, in order, and refuses one that is not configured or listed twice", () => {
    expect(parse([{ name: "code", origin: "https://code.example/mcp", requires: ["github", "okta"] }]).servers[0]?.requires).toEqual(["github", "okta"]);
    expect(parse([{ name: "code", origin: "https://code.example/mcp", requires: ["gitlab"] }]).problems).toEqual(['MCP_SERVERS server "code": requires gitlab, which is not a configured provider (UPSTREAMS)']);
    expect(parse([{ name: "code", origin: "https://code.example/mcp", requires: ["github", "github"] }]).problems).toEqual(['MCP_SERVERS server "code": requires lists a provider twice']);
    expect(parse([{ name: "code", origin: "https://code.example/mcp", requires: "github" }]).problems).toEqual(["MCP_SERVERS entry 0: requires: Invalid input: expected array, received string"]);
  });

  it("reads label, path, scopes as a string or an array, the tool policy and timeout_ms", () => {
    const { servers, problems } = parse([
      { name: "a", label: "Alpha", path: "/tools/alpha", origin: "https://a.example", scopes: "read write", tools: { allow: ["x", "y"], deny: ["y"], scopes: { x: "write" } }, timeout_ms: 5000 },
      { name: "b", origin: "https://b.example", scopes: ["read"] },
    ]);
    expect(problems).toEqual([]);
    expect(servers[0]).toMatchObject({ label: "Alpha", path: "/tools/alpha", resource: "https://auth.example.com/tools/alpha", scopes: ["read", "write"], tools: { allow: ["x", "y"], deny: ["y"], scopes: { x: "write" } }, timeoutMs: 5000 });
    expect(servers[1]?.scopes).toEqual(["read"]);
  });

  it("accepts http only to a loopback origin", () => {
    for (const origin of ["http://localhost:9000/mcp", "http://127.0.0.1:9000/mcp", "http://[::1]:9000/mcp"]) {
      expect(parse([{ name: "local", origin }]).problems).toEqual([]);
    }
    expect(parse([{ name: "lan", origin: "http://10.0.0.5/mcp" }]).problems).toEqual(['MCP_SERVERS server "lan": origin must use https unless the host is loopback']);
    expect(parse([{ name: "ftp", origin: "ftp://files.example/mcp" }]).problems).toEqual(['MCP_SERVERS server "ftp": origin must be an https URL']);
    expect(parse([{ name: "rel", origin: "/mcp" }]).problems).toEqual(['MCP_SERVERS server "rel": origin must be an absolute URL']);
    expect(parse([{ name: "cred", origin: "https://u:p@a.example/mcp" }]).problems).toEqual(['MCP_SERVERS server "cred": origin must have no credentials or fragment']);
  });

  it("takes a service binding name instead of an origin, never both or neither", () => {
    expect(parse([{ name: "worker", service: "TOOLS_WORKER" }]).servers[0]).toMatchObject({ service: "TOOLS_WORKER", origin: undefined });
    expect(parse([{ name: "both", service: "TOOLS", origin: "https://a.example" }]).problems).toEqual(['MCP_SERVERS server "both": needs exactly one of origin and service']);
    expect(parse([{ name: "none" }]).problems).toEqual(['MCP_SERVERS server "none": needs exactly one of origin and service']);
    expect(parse([{ name: "bad", service: "not-a-binding" }]).problems).toEqual(["MCP_SERVERS entry 0: service: must be a binding name"]);
  });

  it("refuses a name that is not a slug, and duplicate names or paths", () => {
    expect(parse([{ name: "GitHub", origin: "https://a.example" }]).problems).toEqual(["MCP_SERVERS entry 0: name: must be a short lowercase slug"]);
    expect(parse([{ label: "x", origin: "https://a.example" }]).problems).toHaveLength(1);
    expect(parse([{ name: "a", origin: "https://a.example" }, { name: "a", path: "/other", origin: "https://b.example" }]).problems).toEqual(["MCP_SERVERS name a is used by more than one server"]);
    expect(parse([{ name: "a", origin: "https://a.example" }, { name: "b", path: "/mcp/a", origin: "https://b.example" }]).problems).toEqual(["MCP_SERVERS path /mcp/a is used by more than one server"]);
  });

  it("lets one server take /mcp, but not two", () => {
    expect(parse([{ name: "main", path: "/mcp", origin: "https://a.example" }]).problems).toEqual([]);
    expect(parse([{ name: "a", path: "/mcp", origin: "https://a.example" }, { name: "b", path: "/mcp", origin: "https://b.example" }]).problems).toEqual(["MCP_SERVERS path /mcp is used by more than one server"]);
  });

  it("refuses paths that are malformed or would shadow Gatehouse's own endpoints", () => {
    expect(parse([{ name: "a", path: "mcp/a", origin: "https://a.example" }]).problems).toEqual(["MCP_SERVERS entry 0: path: must be an absolute path of unreserved characters, without a trailing slash"]);
    expect(parse([{ name: "a", path: "/mcp/a/", origin: "https://a.example" }]).problems).toHaveLength(1);
    expect(parse([{ name: "a", path: "/mcp/a?x=1", origin: "https://a.example" }]).problems).toHaveLength(1);
    for (const path of ["/token", "/authorize/x", "/.well-known/oauth-protected-resource", "/admin/api", "/account", "/dev-idp", "/_gatehouse/vault/refresh-ahead"]) {
      expect(parse([{ name: "a", path, origin: "https://a.example" }]).problems).toEqual([`MCP_SERVERS server "a": path ${path} would shadow one of Gatehouse's own endpoints`]);
    }
  });

  it("requires server and tool scopes to be listed in SCOPES", () => {
    expect(parse([{ name: "a", origin: "https://a.example", scopes: "mcp admin" }]).problems).toEqual(['MCP_SERVERS server "a": scope admin is not listed in SCOPES']);
    expect(parse([{ name: "a", origin: "https://a.example", tools: { scopes: { drop: "admin" } } }]).problems).toEqual(['MCP_SERVERS server "a": scope admin is not listed in SCOPES']);
  });

  it("checks the shape of the tool policy and refuses unknown fields", () => {
    expect(parse([{ name: "a", origin: "https://a.example", tools: { allow: "x" } }]).problems).toEqual(["MCP_SERVERS entry 0: tools.allow: Invalid input: expected array, received string"]);
    expect(parse([{ name: "a", origin: "https://a.example", tools: { block: ["x"] } }]).problems).toHaveLength(1);
    expect(parse([{ name: "a", origin: "https://a.example", auth: "none" }]).problems).toHaveLength(1);
  });

  it("bounds timeout_ms from 100 ms to 5 minutes, whole milliseconds", () => {
    expect(parse([{ name: "a", origin: "https://a.example", timeout_ms: 100 }]).problems).toEqual([]);
    expect(parse([{ name: "a", origin: "https://a.example", timeout_ms: 300_000 }]).problems).toEqual([]);
    for (const timeout_ms of [99, 300_001, 1.5, "1000"]) expect(parse([{ name: "a", origin: "https://a.example", timeout_ms }]).problems).toHaveLength(1);
  });

  it("refuses what is not a JSON array, and keeps the valid entries of a partly broken one", () => {
    expect(parse("{not json").problems).toEqual(["MCP_SERVERS must be a JSON array of servers (not valid JSON)"]);
    expect(parse({ name: "a" }).problems).toEqual(["MCP_SERVERS must be a JSON array of servers"]);
    const mixed = parse([{ name: "ok", origin: "https://a.example" }, { name: "bad" }]);
    expect(mixed.servers.map((s) => s.name)).toEqual(["ok"]);
    expect(mixed.problems).toHaveLength(1);
  });

  it("reads authorization: identity by default, upstream:<provider> only for a configured provider", () => {
    const [identity, upstream] = parse([
      { name: "a", origin: "https://a.example", authorization: "identity" },
      { name: "b", origin: "https://b.example", authorization: "upstream:github" },
    ]).servers;
    expect(identity?.upstreamProvider).toBeUndefined();
    expect(upstream?.upstreamProvider).toBe("github");
    expect(parse([{ name: "c", origin: "https://c.example", authorization: "upstream:gitlab" }]).problems).toEqual([
      'MCP_SERVERS server "c": authorization names the provider gitlab, which is not configured',
    ]);
    expect(parse([{ name: "d", origin: "https://d.example", authorization: "bearer" }]).problems).toHaveLength(1);
  });
});
