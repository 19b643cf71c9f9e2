// The MCP TypeScript SDK's own client against `wrangler dev` with the development IdP: the 401 challenge, discovery
// (RFC 9728, RFC 8414), Dynamic Client Registration (RFC 7591), the browser dance, the code exchange and a tool call.
// @see MCP specification, basic/authorization (2025-11-25 and later)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { HeadlessOAuthClient, type RecordedRequest, recordingFetch } from "./oauth-client";

const PORT = 8811;
const EMAIL = "ada@example.com";

describe("MCP SDK client against wrangler dev with the development IdP", () => {
  let server: Gatehouse;
  const log: RecordedRequest[] = [];
  let oauth: HeadlessOAuthClient;
  /** What the first connection attempt threw (the SDK stops there to let the person sign in). */
  let firstConnectError: unknown;
  let whoami: Record<string, unknown> | undefined;

  beforeAll(async () => {
    server = await startGatehouse(PORT);
    oauth = new HeadlessOAuthClient({
      redirectUrl: "http://127.0.0.1:33418/callback",
      clientName: "Gatehouse e2e SDK client",
      browse: { fill: { email: EMAIL, name: "Ada Lovelace" }, choose: ["decision=approve", "action=login"] },
      expectedIssuer: server.url,
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("challenges an unauthenticated POST /mcp with 401 and a Bearer challenge naming the resource metadata and scope", async () => {
    const res = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "curl", version: "0" } } }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe(`Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp", scope="mcp"`);
  });

  it("discovers the protected resource and authorization server, registers, and stops for the browser sign-in", async () => {
    const client = new Client({ name: "gatehouse-e2e", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: oauth, fetch: recordingFetch(log) });
    try {
      await client.connect(transport);
    } catch (error) {
      firstConnectError = error;
    } finally {
      await client.close();
    }
    expect(firstConnectError).toBeInstanceOf(UnauthorizedError);
    expect(log.map((r) => `${r.method} ${r.url.pathname} ${r.status}`)).toEqual([
      "POST /mcp 401",
      "GET /.well-known/oauth-protected-resource/mcp 200",
      "GET /.well-known/oauth-authorization-server 200",
      "POST /register 201",
    ]);
    const registered = oauth.savedClients[0];
    expect(registered?.client_id).toEqual(expect.any(String));
    expect(oauth.authorizationUrls).toHaveLength(1);
    const authorizationUrl = oauth.authorizationUrls[0];
    expect(`${authorizationUrl?.origin}${authorizationUrl?.pathname}`).toBe(`${server.url}/authorize`);
    expect(authorizationUrl?.searchParams.get("client_id")).toBe(registered?.client_id);
    expect(authorizationUrl?.searchParams.get("resource")).toBe(`${server.url}/mcp`);
    expect(authorizationUrl?.searchParams.get("scope")).toBe("mcp");
    expect(authorizationUrl?.searchParams.get("code_challenge_method")).toBe("S256");
  });

  it("returns the authorization response to the redirect URI with a code, the state and iss equal to the issuer", () => {
    expect(oauth.callbacks).toHaveLength(1);
    const callback = oauth.callbacks[0];
    expect(`${callback?.origin}${callback?.pathname}`).toBe("http://127.0.0.1:33418/callback");
    expect(callback?.searchParams.get("iss")).toBe(server.url);
    expect(callback?.searchParams.get("error")).toBeNull();
    expect(callback?.searchParams.get("code")).toEqual(expect.any(String));
    // The person saw the consent page, then the development IdP's sign-in page.
    expect(oauth.browser.steps.filter((s) => s.method === "POST").map((s) => `${s.url.pathname} ${s.status}`)).toEqual(["/authorize 302", "/dev-idp/authorize 302"]);
  });

  it("exchanges the code for a Bearer access token", async () => {
    const code = oauth.code;
    expect(code).toEqual(expect.any(String));
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: oauth, fetch: recordingFetch(log) });
    await transport.finishAuth(code ?? "");
    expect(log.slice(4).map((r) => `${r.method} ${r.url.pathname} ${r.status}`)).toEqual(["POST /token 200"]);
    expect(log[4]?.headers.get("Cache-Control")).toBe("no-store");
    const tokens = oauth.tokens();
    expect(tokens?.token_type.toLowerCase()).toBe("bearer");
    expect(tokens?.access_token).toEqual(expect.any(String));
    expect(tokens?.scope).toBe("mcp");
  });

  it("reconnects with the access token and calls whoami, which names the signed-in email and its domain", async () => {
    const client = new Client({ name: "gatehouse-e2e", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: oauth, fetch: recordingFetch(log) });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("whoami");
      const result = await client.callTool({ name: "whoami", arguments: {} });
      expect(result.isError).toBeFalsy();
      whoami = result.structuredContent as Record<string, unknown>;
    } finally {
      await client.close();
    }
    expect(whoami).toEqual({
      authenticated: true,
      subject: expect.any(String),
      email: EMAIL,
      email_verified: true,
      domain: "example.com",
      organization: { id: "example.com", name: "Example" },
      client_id: oauth.savedClients[0]?.client_id,
      scopes: ["mcp"],
      linked_providers: [{ provider: "dev", scopes: ["openid", "email", "profile"] }],
    });
    // No second sign-in: every request after the token exchange was authorized.
    expect(log.slice(5).filter((r) => r.status === 401)).toEqual([]);
    expect(oauth.authorizationUrls).toHaveLength(1);
  });
});
