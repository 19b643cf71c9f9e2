import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { mintAccessToken } from "../../src/tokens/access-token";
import { liveGrantId } from "./helpers/grant";

const MCP = "http://localhost:8787/mcp";
const config = loadConfig(env);
const grantId = await liveGrantId();

async function tokenFor(input: Partial<Parameters<typeof mintAccessToken>[2]> = {}): Promise<string> {
  const { token } = await mintAccessToken(env, config, {
    subject: "usr_ada",
    clientId: "client-1",
    scope: "mcp",
    grantId,
    email: "ada@analytical.example",
    emailVerified: true,
    domain: "analytical.example",
    orgId: "org_42",
    orgName: "Analytical Engines",
    ...input,
  });
  return token;
}

async function rpc(token: string, message: object, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(MCP, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify(message),
  });
}

const afterInit = { "MCP-Protocol-Version": "2025-11-25" };

describe("/mcp", () => {
  it("initializes statelessly with a JSON response and no session id", async () => {
    const res = await rpc(await tokenFor(), { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "test", version: "1" } } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    expect(res.headers.get("Mcp-Session-Id")).toBeNull();
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", id: 1, result: { protocolVersion: "2025-11-25", serverInfo: { name: "gatehouse", title: "Gatehouse" }, capabilities: { tools: {} } } });
    const initialized = await rpc(await tokenFor(), { jsonrpc: "2.0", method: "notifications/initialized" }, afterInit);
    expect(initialized.status).toBe(202);
  });

  it("lists whoami as a read-only tool with an output schema", async () => {
    const res = await rpc(await tokenFor(), { jsonrpc: "2.0", id: 2, method: "tools/list" }, afterInit);
    expect(res.status).toBe(200);
    const { result } = (await res.json()) as { result: { tools: { name: string; annotations: object; outputSchema: { required: string[] } }[] } };
    expect(result.tools.map((t) => t.name)).toEqual(["whoami", "upstream_userinfo", "submit_feedback"]);
    expect(result.tools[0]?.annotations).toEqual({ readOnlyHint: true, openWorldHint: false });
    expect(result.tools[0]?.outputSchema.required).toContain("email");
  });

  it("whoami returns the verified identity of the token's user, client and scopes", async () => {
    const res = await rpc(await tokenFor(), { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "whoami", arguments: {} } }, afterInit);
    expect(res.status).toBe(200);
    const { result } = (await res.json()) as { result: { content: { type: string; text: string }[]; structuredContent: unknown; isError?: boolean } };
    const identity = {
      authenticated: true,
      subject: "usr_ada",
      email: "ada@analytical.example",
      email_verified: true,
      domain: "analytical.example",
      organization: { id: "org_42", name: "Analytical Engines" },
      client_id: "client-1",
      scopes: ["mcp"],
      linked_providers: [],
    };
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual(identity);
    expect(result.content).toHaveLength(1);
    expect(result.content[0]?.type).toBe("text");
    expect(JSON.parse(result.content[0]?.text ?? "")).toEqual(identity);
  });

  it("whoami reports absent attributes as null rather than guessing", async () => {
    const token = await tokenFor({ email: undefined, emailVerified: undefined, domain: undefined, orgId: undefined, orgName: undefined, scope: "mcp extra" });
    const res = await rpc(token, { jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "whoami", arguments: {} } }, afterInit);
    const { result } = (await res.json()) as { result: { structuredContent: unknown } };
    expect(result.structuredContent).toEqual({ authenticated: true, subject: "usr_ada", email: null, email_verified: null, domain: null, organization: null, client_id: "client-1", scopes: ["mcp", "extra"], linked_providers: [] });
  });

  it("answers GET and DELETE with 405 (no server-initiated stream, no sessions)", async () => {
    const token = await tokenFor();
    for (const method of ["GET", "DELETE"]) {
      const res = await exports.default.fetch(MCP, { method, headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" } });
      expect(res.status).toBe(405);
      expect(res.headers.get("Allow")).toBe("POST");
    }
  });

  it("answers malformed JSON-RPC with the transport's 400 parse error, not a 500", async () => {
    const res = await exports.default.fetch(MCP, {
      method: "POST",
      headers: { Authorization: `Bearer ${await tokenFor()}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 }, id: null });
  });

  it("answers a body over 1 MiB with 413", async () => {
    const res = await rpc(await tokenFor(), { jsonrpc: "2.0", id: 5, method: "tools/list", params: { pad: "x".repeat(1024 * 1024) } }, afterInit);
    expect(res.status).toBe(413);
  });
});
