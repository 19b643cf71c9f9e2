// createGatehouse(), the package's public face: the deployer's tools get the verified caller, the bindings and the
// execution context; `whoami` can be turned off; an MCP handler of their own sits behind the same authentication;
// configuration by options is checked like `[vars]` and parsed once per environment.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import { type Caller, createGatehouse, type Gatehouse, type McpContext } from "../../src/index";
import { mintAccessToken } from "../../src/tokens/access-token";
import { liveGrantId } from "./helpers/grant";

const MCP = "http://localhost:8787/mcp";
const grantId = await liveGrantId();

async function tokenFor(scope = "mcp"): Promise<string> {
  const claims = { subject: "usr_ada", clientId: "client-1", scope, grantId, email: "ada@analytical.example", emailVerified: true, domain: "analytical.example" };
  return (await mintAccessToken(env, loadConfig(env), claims)).token;
}

function rpc(message: object, token?: string, method = "POST"): Request {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" };
  if (token) headers.Authorization = `Bearer ${token}`;
  return new Request(MCP, { method, headers, body: method === "POST" ? JSON.stringify(message) : undefined });
}

async function call(gatehouse: Gatehouse, request: Request, ctx = createExecutionContext()): Promise<Response> {
  const res = await gatehouse.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function toolNames(gatehouse: Gatehouse): Promise<string[]> {
  const res = await call(gatehouse, rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, await tokenFor()));
  expect(res.status).toBe(200);
  const { result } = (await res.json()) as { result: { tools: { name: string }[] } };
  return result.tools.map((t) => t.name);
}

const ADA: Caller = {
  subject: "usr_ada",
  clientId: "client-1",
  scopes: ["mcp"],
  grantId,
  email: "ada@analytical.example",
  emailVerified: true,
  domain: "analytical.example",
};

afterEach(() => vi.restoreAllMocks());

describe("createGatehouse({ tools })", () => {
  it("hands the tools the verified caller, the Worker's bindings and the request's execution context", async () => {
    const seen: McpContext[] = [];
    const gatehouse = createGatehouse({
      tools(server, context) {
        seen.push(context);
        server.registerTool("greet", { description: "Greets the caller" }, () => ({ content: [{ type: "text", text: `Hello, ${context.caller?.email}` }] }));
      },
    });
    const ctx = createExecutionContext();
    const res = await call(gatehouse, rpc({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "greet", arguments: {} } }, await tokenFor()), ctx);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "Hello, ada@analytical.example" }] } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.caller).toEqual(ADA);
    expect(seen[0]?.env).toBe(env);
    expect(seen[0]?.ctx).toBe(ctx);
  });

  it("keeps whoami before the deployer's tools, and leaves it out with whoami: false", async () => {
    const tools: Parameters<typeof createGatehouse>[0] = { tools: (server) => void server.registerTool("greet", {}, () => ({ content: [] })) };
    expect(await toolNames(createGatehouse(tools))).toEqual(["whoami", "upstream_userinfo", "submit_feedback", "greet"]);
    expect(await toolNames(createGatehouse({ ...tools, whoami: false }))).toEqual(["submit_feedback", "greet"]);
  });

  it("refuses mcp together with tools or whoami: mcp replaces the built-in server", () => {
    const mcp = () => new Response(null);
    // @ts-expect-error the options' types already refuse the combination; plain JavaScript gets the error.
    expect(() => createGatehouse({ mcp, whoami: false })).toThrow("createGatehouse: `mcp` replaces the built-in server, so it takes no `tools` or `whoami`");
  });
});

describe("createGatehouse({ mcp })", () => {
  const seen: { method: string; caller: Caller | undefined }[] = [];
  const gatehouse = createGatehouse({
    mcp(request, { caller }) {
      seen.push({ method: request.method, caller });
      return Response.json({ handled: request.method });
    },
  });

  it("answers GET, POST and DELETE with the deployer's handler, given the verified caller", async () => {
    seen.length = 0;
    const token = await tokenFor();
    for (const method of ["POST", "GET", "DELETE"]) {
      const res = await call(gatehouse, rpc({ jsonrpc: "2.0", id: 1, method: "ping" }, token, method));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ handled: method });
    }
    expect(seen).toEqual([
      { method: "POST", caller: ADA },
      { method: "GET", caller: ADA },
      { method: "DELETE", caller: ADA },
    ]);
  });

  it("never reaches the handler without a valid token: the same 401 challenge as the built-in server", async () => {
    seen.length = 0;
    const res = await call(gatehouse, rpc({ jsonrpc: "2.0", id: 1, method: "ping" }));
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer resource_metadata="http://localhost:8787/.well-known/oauth-protected-resource/mcp", scope="mcp"');
    const forged = await call(gatehouse, rpc({ jsonrpc: "2.0", id: 1, method: "ping" }, `${await tokenFor()}x`));
    expect(forged.status).toBe(401);
    expect(seen).toEqual([]);
  });
});

describe("createGatehouse({ vars })", () => {
  it("applies options by their variable names over the Worker's variables", async () => {
    const gatehouse = createGatehouse({ vars: { SCOPES: "mcp docs", SERVICE_NAME: "Docs" } });
    const metadata = await call(gatehouse, new Request("http://localhost:8787/.well-known/oauth-protected-resource/mcp"));
    expect(((await metadata.json()) as { scopes_supported: string[] }).scopes_supported).toEqual(["mcp", "docs"]);
    // Every default scope is required at /mcp (RFC 6750 §3.1), so a token with "mcp" alone is short of "docs".
    const short = await call(gatehouse, rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, await tokenFor("mcp")));
    expect(short.status).toBe(403);
    expect(short.headers.get("WWW-Authenticate")).toBe('Bearer resource_metadata="http://localhost:8787/.well-known/oauth-protected-resource/mcp", scope="mcp docs", error="insufficient_scope", error_description="the access token lacks the scope docs"');
    const init = await call(gatehouse, rpc({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }, await tokenFor("mcp docs")));
    expect(await init.json()).toMatchObject({ result: { serverInfo: { name: "gatehouse", title: "Docs" } } });
  });

  it("checks options like [vars]: a bad value closes the flow endpoints naming the variable, and is parsed and logged once", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const gatehouse = createGatehouse({ vars: { ACCESS_TOKEN_TTL: "soon" } });
    for (let i = 0; i < 2; i++) {
      const res = await call(gatehouse, new Request("http://localhost:8787/token", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "grant_type=refresh_token" }));
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: "temporarily_unavailable", error_description: expect.stringMatching(/^Gatehouse is not configured: ACCESS_TOKEN_TTL /) });
    }
    const problems = logged.mock.calls.map(([line]) => JSON.parse(String(line))).filter((entry) => entry.event === "config.invalid");
    expect(problems).toEqual([{ event: "config.invalid", variable: "ACCESS_TOKEN_TTL", message: expect.any(String) }]);
  });
});

describe("createGatehouse({ servers })", () => {
  const servers = [{ name: "demo", label: "Demo tools", origin: "https://origin.example/mcp" }];

  it("serves the listed servers as MCP_SERVERS would: their own metadata, and the request forwarded to the origin", async () => {
    const gatehouse = createGatehouse({ servers });
    const metadata = await call(gatehouse, new Request("http://localhost:8787/.well-known/oauth-protected-resource/mcp/demo"));
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({ resource: "http://localhost:8787/mcp/demo", resource_name: "Demo tools" });
    const seen: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      seen.push(new Request(input, init));
      return Response.json({ jsonrpc: "2.0", id: 1, result: { tools: [] } });
    });
    const { token } = await mintAccessToken(env, loadConfig(env), { subject: "usr_ada", clientId: "client-1", scope: "mcp", grantId, email: "ada@analytical.example", emailVerified: true, resource: "http://localhost:8787/mcp/demo" });
    const res = await call(gatehouse, new Request("http://localhost:8787/mcp/demo", rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, token)));
    expect(res.status).toBe(200);
    expect(seen.map((r) => r.url)).toEqual(["https://origin.example/mcp"]);
  });

  it("checks the list like MCP_SERVERS: a broken entry closes the flow endpoints naming the variable", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const gatehouse = createGatehouse({ servers: [{ name: "demo", origin: "http://origin.example/mcp" }] });
    const res = await call(gatehouse, new Request("http://localhost:8787/token", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "grant_type=refresh_token" }));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: "temporarily_unavailable", error_description: expect.stringContaining('MCP_SERVERS server "demo": origin must use https unless the host is loopback') });
  });

  it("refuses servers together with vars.MCP_SERVERS: one list, not two to merge", () => {
    expect(() => createGatehouse({ servers, vars: { MCP_SERVERS: "[]" } })).toThrow("createGatehouse: give the servers either as `servers` or as `vars.MCP_SERVERS`, not both");
  });
});
