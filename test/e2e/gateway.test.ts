// The gateway end to end: `wrangler dev` in front of a real MCP server (the SDK's Node server, stateful streamable
// HTTP), reached by the MCP SDK client through its OAuth flow at /mcp/<name>. The origin verifies Gatehouse's
// identity assertion with jose against the JWKS and records every header it receives.
// @see issue 15; MCP security best practices ("Token Passthrough"); RFC 8707; RFC 9728
import { createHash } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { BULK_BYTES, bulkByte, type Origin, startGarbageOrigin, startOrigin } from "./mcp-origin";
import { HeadlessOAuthClient, type RecordedRequest, recordingFetch } from "./oauth-client";

const PORT = 8921;
const ORIGIN_PORT = 8925;
/** Nothing listens here: the "origin down" server. */
const DOWN_PORT = 8926;
const GARBAGE_PORT = 8927;
const REDIRECT_URI = "http://127.0.0.1:8929/callback";
const GATEHOUSE_URL = `http://localhost:${PORT}`;
const EMAIL = "grace@example.com";
/** Every header the origin may receive: the allow-list, the assertion, and what workerd itself adds to a subrequest. */
const RECEIVABLE = ["content-type", "accept", "mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id", "authorization", "host", "content-length", "cf-worker"];

const JSONRPC = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
const initialize = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } } });

function signIn(url: string) {
  return new HeadlessOAuthClient({ redirectUrl: REDIRECT_URI, clientName: "Gatehouse gateway e2e", browse: { fill: { email: EMAIL, name: "Grace Hopper" }, choose: ["decision=approve", "action=login"] }, expectedIssuer: url });
}

/** The SDK client opens its GET stream in the background: wait for the origin to see it before counting requests. */
async function streamOpened(sessionId: string, origin: Origin): Promise<void> {
  const originId = sessionId.slice(0, sessionId.lastIndexOf(".gs1."));
  const deadline = Date.now() + 5000;
  while (!origin.requests.some((r) => r.method === "GET" && r.headers["mcp-session-id"] === originId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** The SDK's own OAuth flow against `serverUrl`, to an access token (by default for every scope the server offers). */
async function tokenFor(serverUrl: string, scope?: string): Promise<{ oauth: HeadlessOAuthClient; token: string }> {
  const oauth = signIn(GATEHOUSE_URL);
  expect(await auth(oauth, { serverUrl, scope })).toBe("REDIRECT");
  expect(await auth(oauth, { serverUrl, scope, authorizationCode: oauth.code ?? "" })).toBe("AUTHORIZED");
  return { oauth, token: oauth.tokens()?.access_token ?? "" };
}

describe("the gateway in front of a real MCP server", () => {
  const stops: (() => Promise<void>)[] = [];
  let gatehouse: Gatehouse;
  let origin: Origin;
  const log: RecordedRequest[] = [];
  let demo: HeadlessOAuthClient;
  /** Every access token a client held in this file: none may ever reach an origin. */
  const clientTokens: string[] = [];

  beforeAll(async () => {
    origin = await startOrigin(ORIGIN_PORT, GATEHOUSE_URL, stops);
    const garbage = await startGarbageOrigin(GARBAGE_PORT, stops);
    const servers = [
      { name: "demo", label: "Demo tools", origin: origin.url, scopes: "mcp", timeout_ms: 1500 },
      { name: "down", label: "Down server", origin: `http://127.0.0.1:${DOWN_PORT}/mcp`, scopes: "mcp" },
      { name: "junk", label: "Junk server", origin: garbage, scopes: "mcp" },
      { name: "guarded", label: "Guarded tools", origin: origin.url, scopes: "mcp", tools: { deny: ["announce"], scopes: { count: "tools.admin" } } },
    ];
    gatehouse = await startGatehouse(PORT, { MCP_SERVERS: JSON.stringify(servers), SCOPES: "mcp tools.admin" });
    demo = signIn(gatehouse.url);
  });

  afterAll(async () => {
    await gatehouse?.stop();
    await Promise.all(stops.map((stop) => stop()));
  });

  it("challenges /mcp/demo with its own resource metadata, which names Gatehouse and the server", async () => {
    const res = await fetch(`${gatehouse.url}/mcp/demo`, { method: "POST", headers: JSONRPC, body: initialize(1) });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe(`Bearer resource_metadata="${gatehouse.url}/.well-known/oauth-protected-resource/mcp/demo", scope="mcp"`);
    const metadata = await fetch(`${gatehouse.url}/.well-known/oauth-protected-resource/mcp/demo`);
    expect(await metadata.json()).toEqual({ resource: `${gatehouse.url}/mcp/demo`, authorization_servers: [gatehouse.url], scopes_supported: ["mcp"], bearer_methods_supported: ["header"], resource_name: "Demo tools" });
    expect(origin.requests).toEqual([]);
  });

  it("lets the MCP SDK client discover, register and sign in from the path's 401, with resource = the server", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${gatehouse.url}/mcp/demo`), { authProvider: demo, fetch: recordingFetch(log) });
    const client = new Client({ name: "gateway-e2e", version: "1.0.0" });
    await expect(client.connect(transport)).rejects.toThrow();
    expect(log.map((r) => `${r.method} ${r.url.pathname} ${r.status}`)).toEqual([
      "POST /mcp/demo 401",
      "GET /.well-known/oauth-protected-resource/mcp/demo 200",
      "GET /.well-known/oauth-authorization-server 200",
      "POST /register 201",
    ]);
    expect(demo.authorizationUrls[0]?.searchParams.get("resource")).toBe(`${gatehouse.url}/mcp/demo`);
    await transport.finishAuth(demo.code ?? "");
    const token = demo.tokens()?.access_token ?? "";
    clientTokens.push(token);
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());
    expect(payload.aud).toBe(`${gatehouse.url}/mcp/demo`);
  });

  it("streams progress notifications before the result, passes GET's server-to-client stream and DELETE", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${gatehouse.url}/mcp/demo?team=core`), { authProvider: demo });
    const client = new Client({ name: "gateway-e2e", version: "1.0.0" });
    const events: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void events.push("list_changed"));
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["echo", "count", "announce"]);
    const arrived: number[] = [];
    const result = await client.callTool({ name: "count", arguments: {} }, undefined, {
      onprogress: (p) => {
        arrived.push(Date.now());
        events.push(`progress ${p.progress}`);
      },
    });
    events.push("result");
    // The origin waits 150 ms after each notification: a buffering proxy would deliver them all with the result.
    expect(Date.now() - (arrived[0] ?? Date.now())).toBeGreaterThanOrEqual(300);
    expect(result.content).toEqual([{ type: "text", text: "counted" }]);
    expect(events).toEqual(["progress 1", "progress 2", "progress 3", "result"]);
    // The standalone GET stream: a notification the origin sends outside any request reaches the client.
    const deadline = Date.now() + 5000;
    while (!origin.requests.some((r) => r.method === "GET") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(origin.requests.some((r) => r.method === "GET" && r.headers.accept === "text/event-stream")).toBe(true);
    await client.callTool({ name: "announce", arguments: {} });
    while (!events.includes("list_changed") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(events).toContain("list_changed");
    const sessionId = transport.sessionId;
    expect(sessionId).toEqual(expect.any(String));
    await transport.terminateSession();
    await client.close();
    // The client holds the origin's session id bound to its grant; the origin gets its own id back.
    const deleted = origin.requests.filter((r) => r.method === "DELETE");
    expect(deleted.map((r) => r.headers["mcp-session-id"])).toEqual([sessionId?.slice(0, sessionId.lastIndexOf(".gs1."))]);
    // The client's query is appended to the origin URL's own.
    expect(origin.requests.filter((r) => r.method === "POST").every((r) => r.url === "/mcp?team=core")).toBe(true);
  });

  it("sends the origin an identity assertion with exactly the caller's claims, never a client token or its cookies", async () => {
    const res = await fetch(`${gatehouse.url}/mcp/demo`, {
      method: "POST",
      headers: { ...JSONRPC, Authorization: `Bearer ${clientTokens[0]}`, Cookie: "__Host-gh_session=stolen", "X-Forwarded-Email": "ceo@example.com", "X-User": "admin", Forwarded: "for=1.2.3.4", "Mcp-Method": "initialize" },
      body: initialize(7),
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    const last = origin.requests.at(-1);
    expect(last?.headers.cookie).toBeUndefined();
    expect(last?.headers["x-forwarded-email"]).toBeUndefined();
    expect(last?.headers["x-user"]).toBeUndefined();
    expect(last?.headers.forwarded).toBeUndefined();
    expect(last?.headers["mcp-method"]).toBe("initialize");
    for (const request of origin.requests) {
      expect(Object.keys(request.headers).filter((name) => !RECEIVABLE.includes(name))).toEqual([]);
      const presented = request.headers.authorization?.replace(/^Bearer /, "") ?? "";
      expect(clientTokens).not.toContain(presented);
      expect(decodeProtectedHeader(presented).typ).toBe("gh-id+jwt");
    }
    const identity = last?.identity;
    if (!identity || "error" in identity) throw new Error(`the origin refused the assertion: ${JSON.stringify(identity)}`);
    const access = JSON.parse(Buffer.from((clientTokens[0] ?? "").split(".")[1] ?? "", "base64url").toString());
    expect(identity.header).toEqual({ alg: "ES256", typ: "gh-id+jwt", kid: expect.any(String) });
    expect(identity.payload).toEqual({
      iss: gatehouse.url,
      aud: origin.url,
      sub: access.sub,
      email: EMAIL,
      email_verified: true,
      org_id: "example.com",
      org_name: "Example",
      client_id: demo.savedClients[0]?.client_id,
      scope: "mcp",
      sid: access.sid,
      iat: expect.any(Number),
      exp: (identity.payload.iat ?? 0) + 300,
      jti: expect.any(String),
    });
    // One assertion per grant and server, reused while more than half its life is left.
    expect(new Set(origin.requests.map((r) => r.headers.authorization)).size).toBe(1);
  });

  it("refuses the identity assertion as an access token at /mcp and at the gateway", async () => {
    const assertion = origin.requests.at(-1)?.headers.authorization ?? "";
    for (const path of ["/mcp", "/mcp/demo"]) {
      const res = await fetch(`${gatehouse.url}${path}`, { method: "POST", headers: { ...JSONRPC, Authorization: assertion }, body: initialize(1) });
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
    }
  });

  it("refuses a token for /mcp/demo at /mcp and another server, and a token for /mcp at /mcp/demo (401 invalid_token)", async () => {
    const count = origin.requests.length;
    const atMcp = await fetch(`${gatehouse.url}/mcp`, { method: "POST", headers: { ...JSONRPC, Authorization: `Bearer ${clientTokens[0]}` }, body: initialize(1) });
    expect(atMcp.status).toBe(401);
    expect(atMcp.headers.get("WWW-Authenticate")).toBe(`Bearer resource_metadata="${gatehouse.url}/.well-known/oauth-protected-resource/mcp", scope="mcp tools.admin", error="invalid_token", error_description="the access token is invalid or expired"`);
    const atDown = await fetch(`${gatehouse.url}/mcp/down`, { method: "POST", headers: { ...JSONRPC, Authorization: `Bearer ${clientTokens[0]}` }, body: initialize(1) });
    expect(atDown.status).toBe(401);
    expect(atDown.headers.get("WWW-Authenticate")).toBe(`Bearer resource_metadata="${gatehouse.url}/.well-known/oauth-protected-resource/mcp/down", scope="mcp", error="invalid_token", error_description="the access token is invalid or expired"`);
    const { token } = await tokenFor(`${gatehouse.url}/mcp`);
    clientTokens.push(token);
    const atDemo = await fetch(`${gatehouse.url}/mcp/demo`, { method: "POST", headers: { ...JSONRPC, Authorization: `Bearer ${token}` }, body: initialize(1) });
    expect(atDemo.status).toBe(401);
    expect(atDemo.headers.get("WWW-Authenticate")).toBe(`Bearer resource_metadata="${gatehouse.url}/.well-known/oauth-protected-resource/mcp/demo", scope="mcp", error="invalid_token", error_description="the access token is invalid or expired"`);
    expect(origin.requests.length).toBe(count);
  });

  it("answers invalid_target at /authorize for a resource no server has", async () => {
    const client = await (await fetch(`${gatehouse.url}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ client_name: "x", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none" }) })).json();
    const url = new URL(`${gatehouse.url}/authorize`);
    for (const [k, v] of Object.entries({ response_type: "code", client_id: client.client_id, redirect_uri: REDIRECT_URI, code_challenge: "a".repeat(43), code_challenge_method: "S256", resource: `${gatehouse.url}/mcp/nowhere`, state: "s" })) url.searchParams.set(k, v);
    const res = await fetch(url, { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("resource");
  });

  it("answers 502 naming the server when the origin is down, and when it answers garbage", async () => {
    for (const [name, label] of [["down", "Down server"], ["junk", "Junk server"]]) {
      const { token } = await tokenFor(`${gatehouse.url}/mcp/${name}`);
      clientTokens.push(token);
      const res = await fetch(`${gatehouse.url}/mcp/${name}`, { method: "POST", headers: { ...JSONRPC, Authorization: `Bearer ${token}` }, body: initialize(1) });
      expect(res.status).toBe(502);
      expect(await res.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: `${label} is unreachable` }, id: null });
    }
  });

  it("answers 504 when the origin sends no headers within timeout_ms, and 502 for the origin's own 401", async () => {
    const headers = { ...JSONRPC, Authorization: `Bearer ${clientTokens[0]}` };
    const started = Date.now();
    const slow = await fetch(`${gatehouse.url}/mcp/demo?mode=slow`, { method: "POST", headers, body: initialize(1) });
    expect(slow.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(2900);
    expect(await slow.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: "Demo tools did not answer within 1500 ms" }, id: null });
    const denied = await fetch(`${gatehouse.url}/mcp/demo?mode=deny`, { method: "POST", headers, body: initialize(1) });
    expect(denied.status).toBe(502);
    expect(denied.headers.get("WWW-Authenticate")).toBeNull();
    expect(await denied.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: "Demo tools refused the request (HTTP 401)" }, id: null });
  });

  it("closes the origin connection at timeout_ms when the origin stays silent", async () => {
    const started = Date.now();
    const res = await fetch(`${gatehouse.url}/mcp/demo?mode=slow`, { method: "POST", headers: { ...JSONRPC, Authorization: `Bearer ${clientTokens[0]}` }, body: initialize(1) });
    expect(res.status).toBe(504);
    const request = origin.requests.findLast((r) => r.url === "/mcp?mode=slow");
    while (!request?.aborted && Date.now() - started < 2500) await new Promise((r) => setTimeout(r, 20));
    expect(request?.aborted).toBe(true);
  });

  it("passes a 10 MiB streamed response through intact", async () => {
    const res = await fetch(`${gatehouse.url}/mcp/demo?mode=bulk`, { method: "POST", headers: { ...JSONRPC, Authorization: `Bearer ${clientTokens[0]}` }, body: "{}" });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const expected = Buffer.alloc(BULK_BYTES);
    for (let i = 0; i < BULK_BYTES; i++) expected[i] = bulkByte(i);
    expect(body.length).toBe(BULK_BYTES);
    expect(createHash("sha256").update(body).digest("hex")).toBe(createHash("sha256").update(expected).digest("hex"));
  });

  it("filters tools/list by the server's policy (SSE and JSON) and refuses a denied call without the origin", async () => {
    const { oauth, token } = await tokenFor(`${gatehouse.url}/mcp/guarded`, "mcp");
    clientTokens.push(token);
    for (const query of ["", "?mode=json"]) {
      const transport = new StreamableHTTPClientTransport(new URL(`${gatehouse.url}/mcp/guarded${query}`), { authProvider: oauth });
      const client = new Client({ name: "gateway-e2e", version: "1.0.0" });
      await client.connect(transport);
      // announce is denied, count needs tools.admin, which this token lacks.
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["echo"]);
      const count = origin.requests.length;
      await expect(client.callTool({ name: "announce", arguments: {} })).rejects.toMatchObject({ code: -32602 });
      expect(origin.requests.length).toBe(count);
      expect(await client.callTool({ name: "echo", arguments: { text: "hi" } })).toMatchObject({ content: [{ type: "text", text: "hi" }] });
      await transport.terminateSession();
      await client.close();
    }
  });

  it("answers a call needing a tool scope with 403 insufficient_scope, and a session id of another grant with 404, without the origin", async () => {
    const first = await tokenFor(`${gatehouse.url}/mcp/guarded`, "mcp");
    const second = await tokenFor(`${gatehouse.url}/mcp/guarded`);
    clientTokens.push(first.token, second.token);
    const transport = new StreamableHTTPClientTransport(new URL(`${gatehouse.url}/mcp/guarded`), { authProvider: first.oauth });
    const client = new Client({ name: "gateway-e2e", version: "1.0.0" });
    await client.connect(transport);
    const sessionId = transport.sessionId ?? "";
    await streamOpened(sessionId, origin);
    const headers = (token: string) => ({ ...JSONRPC, Authorization: `Bearer ${token}`, "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": "2025-11-25" });
    const call = JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "count", arguments: {} } });
    const before = origin.requests.length;
    const gated = await fetch(`${gatehouse.url}/mcp/guarded`, { method: "POST", headers: headers(first.token), body: call });
    expect(gated.status).toBe(403);
    expect(origin.requests.length).toBe(before);
    expect(gated.headers.get("WWW-Authenticate")).toBe(`Bearer resource_metadata="${gatehouse.url}/.well-known/oauth-protected-resource/mcp/guarded", scope="tools.admin", error="insufficient_scope", error_description="the tool count needs the scope tools.admin"`);
    // The other grant carries tools.admin, so it sees count; it still cannot use the first grant's session.
    const own = new StreamableHTTPClientTransport(new URL(`${gatehouse.url}/mcp/guarded`), { authProvider: second.oauth });
    const ownClient = new Client({ name: "gateway-e2e", version: "1.0.0" });
    await ownClient.connect(own);
    await streamOpened(own.sessionId ?? "", origin);
    expect((await ownClient.listTools()).tools.map((t) => t.name)).toEqual(["echo", "count"]);
    await own.terminateSession();
    await ownClient.close();
    const count = origin.requests.length;
    const list = JSON.stringify({ jsonrpc: "2.0", id: 6, method: "tools/list" });
    for (const method of ["POST", "GET", "DELETE"]) {
      const res = await fetch(`${gatehouse.url}/mcp/guarded`, { method, headers: headers(second.token), body: method === "POST" ? list : undefined });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null });
    }
    const forged = await fetch(`${gatehouse.url}/mcp/guarded`, { method: "POST", headers: { ...headers(first.token), "Mcp-Session-Id": sessionId.slice(0, sessionId.lastIndexOf(".gs1.")) }, body: list });
    expect(forged.status).toBe(404);
    const mismatch = await fetch(`${gatehouse.url}/mcp/guarded`, { method: "POST", headers: { ...headers(first.token), "Mcp-Method": "tools/call", "Mcp-Name": "echo" }, body: call });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toEqual({ jsonrpc: "2.0", error: { code: -32020, message: "Header mismatch: Mcp-Name does not match the body" }, id: null });
    expect(origin.requests.length).toBe(count);
    // Nothing the failures touched changed: the session, the grant and its token still work as before.
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["echo"]);
    await transport.terminateSession();
    await client.close();
  });
});
