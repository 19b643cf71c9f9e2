// The gateway on real workerd: each MCP_SERVERS entry is its own protected resource (RFC 8707, RFC 9728), tokens
// are bound to exactly one of them, and the origin receives the allow-listed headers and an identity assertion.
// The origin here is a stub `fetch` (header checks only); test/e2e/gateway.test.ts proves it with a real MCP server.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { mintAccessToken, verifyAccessToken } from "../../src/tokens/access-token";
import { bindSessionId, gatewaySessionKey } from "../../src/tokens/gateway-session";
import { identityAssertion } from "../../src/tokens/identity-assertion";
import worker from "../../src/worker";
import { BASE, Browser } from "./helpers/browser";
import { liveGrantId } from "./helpers/grant";
import { authorize, pkce, registerClient } from "./helpers/oauth";

const ORIGIN = "https://origin.example/mcp?tenant=acme";
const gatewayEnv = {
  ...env,
  MCP_SERVERS: JSON.stringify([
    { name: "demo", label: "Demo tools", origin: ORIGIN },
    { name: "files", path: "/files", origin: "https://files.example/mcp", timeout_ms: 2000 },
  ]),
} as Env;
const config = parseConfig(gatewayEnv);
const DEMO = `${BASE}/mcp/demo`;
const grantId = await liveGrantId();

async function call(path: string, init: RequestInit = {}, target: Env = gatewayEnv): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function tokenFor(resource?: string): Promise<string> {
  const { token } = await mintAccessToken(env, config, { subject: "usr_ada", clientId: "client-1", scope: "mcp", grantId, email: "ada@analytical.example", emailVerified: true, orgId: "org_42", orgName: "Analytical Engines", resource });
  return token;
}

const rpc = (token: string, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers },
  body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("gateway servers as protected resources", () => {
  it("publishes each server's metadata at the well-known prefix + its path, naming Gatehouse and its scopes", async () => {
    const res = await call("/.well-known/oauth-protected-resource/mcp/demo");
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(await res.json()).toEqual({ resource: DEMO, authorization_servers: [BASE], scopes_supported: ["mcp"], bearer_methods_supported: ["header"], resource_name: "Demo tools" });
    expect(((await (await call("/.well-known/oauth-protected-resource/files")).json()) as { resource: string }).resource).toBe(`${BASE}/files`);
  });

  it("keeps the root metadata document the one for /mcp", async () => {
    expect(((await (await call("/.well-known/oauth-protected-resource")).json()) as { resource: string }).resource).toBe(`${BASE}/mcp`);
    expect((await call("/.well-known/oauth-protected-resource/mcp/nowhere")).status).toBe(404);
  });

  it("challenges a request without a token with the server's own resource_metadata, and answers CORS preflight", async () => {
    const res = await call("/mcp/demo", { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe(`Bearer resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp/demo", scope="mcp"`);
    expect(res.headers.get("Access-Control-Expose-Headers")).toBe("WWW-Authenticate,Mcp-Session-Id");
    const preflight = await call("/mcp/demo", { method: "OPTIONS", headers: { Origin: "https://inspector.example", "Access-Control-Request-Method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Headers")).toBe("Authorization,Content-Type,Mcp-Session-Id,Mcp-Protocol-Version,Mcp-Method,Mcp-Name,Last-Event-ID");
    const withParams = await call("/mcp/demo", { method: "OPTIONS", headers: { Origin: "https://inspector.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, mcp-param-region, x-forged" } });
    expect(withParams.headers.get("Access-Control-Allow-Headers")).toBe("Authorization,Content-Type,Mcp-Session-Id,Mcp-Protocol-Version,Mcp-Method,Mcp-Name,Last-Event-ID,mcp-param-region");
  });

  it("refuses a token for /mcp at a server, a server's token at /mcp and at another server (401 invalid_token)", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const challenge = (path: string) => `Bearer resource_metadata="${BASE}/.well-known/oauth-protected-resource${path}", scope="mcp", error="invalid_token", error_description="the access token is invalid or expired"`;
    for (const [path, token] of [["/mcp/demo", await tokenFor()], ["/mcp", await tokenFor(DEMO)], ["/files", await tokenFor(DEMO)], ["/mcp/demo", await tokenFor(`${BASE}/files`)]] as const) {
      const res = await call(path, rpc(token));
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toBe(challenge(path));
      expect(await res.json()).toEqual({ error: "invalid_token", error_description: "the access token is invalid or expired" });
    }
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("issues an access token whose aud is exactly the server's resource through /authorize and /token, and refuses an unknown one", async () => {
    const client = await registerClient();
    const { verifier, challenge } = await pkce();
    const redirect = await authorize(client, challenge, { browser: new Browser(gatewayEnv), params: { resource: `${DEMO}?from=client` } });
    const code = redirect.searchParams.get("code") ?? "";
    const token = await call("/token", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, client_id: client.client_id, redirect_uri: client.redirect_uris[0] ?? "", resource: DEMO }) });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    expect(decodeJwt(access_token).aud).toBe(DEMO);

    const unknown = await new Browser(gatewayEnv).fetch(`${BASE}/authorize?${new URLSearchParams({ response_type: "code", client_id: client.client_id, redirect_uri: client.redirect_uris[0] ?? "", code_challenge: challenge, code_challenge_method: "S256", state: "s", resource: `${BASE}/mcp/other` })}`);
    expect(unknown.status).toBe(400);
    const page = await unknown.text();
    expect(page).toContain("(error: invalid_target)");
    expect(page).toContain(new URLSearchParams({ error_description: `resource must be ${BASE}/mcp or ${DEMO} or ${BASE}/files` }).toString());
  });
});

describe("revocation of a gateway token", () => {
  it("revokes the grant of an access token for a server (RFC 7009 §2.1), which then stops working there", async () => {
    const client = await registerClient();
    const sid = await liveGrantId(client.client_id);
    const { token } = await mintAccessToken(env, config, { subject: "usr_ada", clientId: client.client_id, scope: "mcp", grantId: sid, resource: DEMO });
    const res = await call("/revoke", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token, client_id: client.client_id }) });
    expect(res.status).toBe(200);
    expect(await env.GRANTS.get(env.GRANTS.idFromString(sid)).checkLive()).toBe(false);
  });
});

describe("introspection of a gateway token", () => {
  it("reports the server's resource as aud (RFC 7662 §2.2)", async () => {
    const res = await call("/introspect", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: `Bearer ${env.ADMIN_TOKEN}` }, body: new URLSearchParams({ token: await tokenFor(DEMO) }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ active: true, aud: DEMO, sid: grantId });
  });
});

describe("what the origin receives", () => {
  it("gets the method, body and allow-listed headers, its own URL with the client's query appended, and an identity assertion", async () => {
    const seen: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      seen.push(new Request(input, init));
      return new Response('{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}', { headers: { "Content-Type": "application/json", "Mcp-Session-Id": "s-1", "Set-Cookie": "origin=1", Connection: "keep-alive" } });
    });
    const token = await tokenFor(DEMO);
    const wrapped = await bindSessionId(await gatewaySessionKey(env), { grantId, server: "demo" }, "s-1");
    const res = await call("/mcp/demo?cursor=2", rpc(token, { Cookie: "__Host-gh_session=x", "Mcp-Session-Id": wrapped, "Mcp-Protocol-Version": "2025-11-25", "Mcp-Method": "tools/list", "Last-Event-ID": "e-9", "X-Forwarded-User": "root", "CF-Connecting-IP": "203.0.113.9", "User-Agent": "client/1" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("Mcp-Session-Id")).toBe(wrapped);
    expect(res.headers.get("Set-Cookie")).toBeNull();
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 1, result: { tools: [] } });
    expect(seen).toHaveLength(1);
    const sent = seen[0] as Request;
    expect(sent.method).toBe("POST");
    expect(sent.url).toBe("https://origin.example/mcp?tenant=acme&cursor=2");
    expect(await sent.text()).toBe('{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
    expect(sent.headers.get("Mcp-Session-Id")).toBe("s-1");
    const names = [...sent.headers.keys()].sort();
    expect(names).toEqual(["accept", "authorization", "content-type", "last-event-id", "mcp-method", "mcp-protocol-version", "mcp-session-id"]);
    const assertion = (sent.headers.get("Authorization") ?? "").replace(/^Bearer /, "");
    expect(assertion).not.toBe(token);
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: "ES256", typ: "gh-id+jwt", kid: expect.any(String) });
    const claims = decodeJwt(assertion);
    expect(claims).toEqual({ iss: BASE, aud: ORIGIN, sub: "usr_ada", email: "ada@analytical.example", email_verified: true, org_id: "org_42", org_name: "Analytical Engines", client_id: "client-1", scope: "mcp", sid: grantId, iat: expect.any(Number), exp: (claims.iat ?? 0) + 300, jti: expect.any(String) });
  });

  it("gets SEP-2243's Mcp-Param-* headers as sent, which the origin checks against the tool arguments, and no other Mcp- header", async () => {
    const seen: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      seen.push(new Request(input, init));
      return new Response('{"jsonrpc":"2.0","id":1,"result":{"content":[]}}', { headers: { "Content-Type": "application/json" } });
    });
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "lookup", arguments: { region: "Hello", zone: "eu-1" } } });
    const headers = { Authorization: `Bearer ${await tokenFor(DEMO)}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "lookup" };
    const res = await call("/mcp/demo", { method: "POST", body, headers: { ...headers, "Mcp-Param-Region": "=?base64?SGVsbG8=?=", "mcp-param-zone": "eu-1", "Mcp-Identity": "root", "Mcp-Paramx": "1" } });
    expect(res.status).toBe(200);
    const sent = seen[0] as Request;
    expect(sent.headers.get("Mcp-Param-Region")).toBe("=?base64?SGVsbG8=?=");
    expect(sent.headers.get("Mcp-Param-Zone")).toBe("eu-1");
    expect([...sent.headers.keys()].sort()).toEqual(["accept", "authorization", "content-type", "mcp-method", "mcp-name", "mcp-param-region", "mcp-param-zone", "mcp-protocol-version"]);
  });

  it("reuses one assertion per grant and server until half its life is gone", async () => {
    const server = config.servers[0];
    if (!server) throw new Error("no server");
    const caller = { subject: "usr_ada", clientId: "client-1", scopes: ["mcp"], grantId: `${grantId}-reuse` };
    const now = Date.now();
    const first = await identityAssertion(env, config, server, caller, now);
    expect(await identityAssertion(env, config, server, caller, now + 149_000)).toBe(first);
    expect(await identityAssertion(env, config, server, caller, now + 151_000)).not.toBe(first);
    expect(await identityAssertion(env, config, config.servers[1] ?? server, caller, now)).not.toBe(first);
  });

  it("is never accepted as an access token, even when its aud happens to be a protected resource (typ gh-id+jwt)", async () => {
    const server = { ...(config.servers[0] ?? ({} as never)), origin: `${BASE}/mcp` };
    const assertion = await identityAssertion(env, config, server, { subject: "usr_ada", clientId: "client-1", scopes: ["mcp"], grantId });
    expect(decodeJwt(assertion).aud).toBe(`${BASE}/mcp`);
    expect(await verifyAccessToken(env, config, assertion)).toEqual({ ok: false, reason: "claim:typ" });
    const res = await call("/mcp", rpc(assertion));
    expect(res.status).toBe(401);
  });

  it("answers the origin's own 401, a redirect and a 5xx (its body never passed on) with 502, and an unreachable origin with 502, as JSON-RPC errors", async () => {
    const token = await tokenFor(DEMO);
    for (const answer of [new Response("no", { status: 401, headers: { "WWW-Authenticate": "Bearer" } }), new Response(null, { status: 302, headers: { Location: "https://evil.example/" } })]) {
      vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(answer);
      const res = await call("/mcp/demo", rpc(token));
      expect(res.status).toBe(502);
      expect(res.headers.get("WWW-Authenticate")).toBeNull();
      expect(await res.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: `Demo tools refused the request (HTTP ${answer.status})` }, id: null });
    }
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(new Response("TypeError: x is undefined\n    at handler (/srv/app.js:12:3)", { status: 500 }));
    const failed = await call("/mcp/demo", rpc(token));
    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: "Demo tools refused the request (HTTP 500)" }, id: null });
    vi.spyOn(globalThis, "fetch").mockRejectedValueOnce(new TypeError("connection refused"));
    const res = await call("/mcp/demo", rpc(token));
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: "Demo tools is unreachable" }, id: null });
  });
});

describe("a client that goes away", () => {
  it("cancels the origin request: the origin fetch's signal aborts with the client's", async () => {
    const token = await tokenFor(DEMO);
    let originSignal: AbortSignal | undefined;
    vi.spyOn(globalThis, "fetch").mockImplementation((_input, init) => {
      originSignal = init?.signal ?? undefined;
      return new Promise((_resolve, reject) => originSignal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
    });
    const client = new AbortController();
    const answered = worker.fetch(new Request(`${BASE}/mcp/demo`, { ...rpc(token), signal: client.signal }), gatewayEnv, createExecutionContext());
    await vi.waitFor(() => expect(originSignal).toBeDefined());
    expect(originSignal?.aborted).toBe(false);
    client.abort();
    await answered.catch(() => undefined);
    expect(originSignal?.aborted).toBe(true);
  });
});

describe("server variants", () => {
  it("refuses every server with 503 while the configuration has a problem, without reaching an origin", async () => {
    const broken = { ...env, MCP_SERVERS: JSON.stringify([{ name: "demo", origin: ORIGIN }, { name: "bad", origin: "http://10.0.0.1/mcp" }]) } as Env;
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const res = await call("/mcp/demo", rpc(await tokenFor(DEMO)), broken);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: "Gatehouse is not configured: see its log." }, id: null });
    expect(fetchSpy).not.toHaveBeenCalled();
  });


  it("lets a server at /mcp replace the built-in one, with its metadata there and at the root", async () => {
    const replaced = { ...env, MCP_SERVERS: JSON.stringify([{ name: "main", label: "Main", path: "/mcp", origin: ORIGIN }]) } as Env;
    const seen: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      seen.push(new Request(input).url);
      return new Response("{}", { headers: { "Content-Type": "application/json" } });
    });
    expect((await call("/mcp", rpc(await tokenFor()), replaced)).status).toBe(200);
    expect(seen).toEqual([ORIGIN]);
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      expect(((await (await call(path, {}, replaced)).json()) as { resource_name: string }).resource_name).toBe("Main");
    }
  });

  it("reaches a service binding by name with the assertion's aud service:<binding>, and answers 502 when it is missing", async () => {
    const seen: Request[] = [];
    const bound = {
      ...env,
      MCP_SERVERS: JSON.stringify([{ name: "tools", service: "TOOLS_WORKER" }]),
      TOOLS_WORKER: { fetch: async (input: RequestInfo, init?: RequestInit) => (seen.push(new Request(input, init)), new Response("{}", { headers: { "Content-Type": "application/json" } })) },
    } as unknown as Env;
    const token = (await mintAccessToken(env, parseConfig(bound), { subject: "usr_ada", clientId: "client-1", scope: "mcp", grantId, resource: `${BASE}/mcp/tools` })).token;
    expect((await call("/mcp/tools?x=1", rpc(token), bound)).status).toBe(200);
    expect(seen.map((r) => r.url)).toEqual(["https://tools_worker/mcp/tools?x=1"]);
    expect(decodeJwt((seen[0]?.headers.get("Authorization") ?? "").replace(/^Bearer /, "")).aud).toBe("service:TOOLS_WORKER");
    const missing = await call("/mcp/tools", rpc(token), { ...bound, TOOLS_WORKER: undefined } as unknown as Env);
    expect(missing.status).toBe(502);
    expect(await missing.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: "tools is not reachable: its service binding is missing" }, id: null });
  });
});

describe("sessions bound to the grant", () => {
  it("refuses a session id of another grant, of another server, or never issued (404) on POST, GET and DELETE without reaching the origin", async () => {
    const key = await gatewaySessionKey(env);
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const token = await tokenFor(DEMO);
    const foreign = [await bindSessionId(key, { grantId: `${grantId}-other`, server: "demo" }, "s-1"), await bindSessionId(key, { grantId, server: "files" }, "s-1"), "s-1", "s-1.gs1.AAAA"];
    for (const sessionId of foreign) {
      for (const method of ["POST", "GET", "DELETE"]) {
        const init = rpc(token, { "Mcp-Session-Id": sessionId });
        const res = await call("/mcp/demo", { ...init, method, body: method === "POST" ? init.body : undefined });
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null });
      }
    }
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

describe("tool policy in the gateway", () => {
  const policyEnv = {
    ...env,
    SCOPES: "mcp tools.admin",
    MCP_SERVERS: JSON.stringify([{ name: "demo", label: "Demo tools", origin: ORIGIN, scopes: "mcp", tools: { deny: ["drop"], scopes: { reset: "tools.admin" } } }]),
  } as Env;
  const policyConfig = parseConfig(policyEnv);
  const TOOLS = [{ name: "echo" }, { name: "drop" }, { name: "reset" }];
  const token = async (scope = "mcp") => (await mintAccessToken(env, policyConfig, { subject: "usr_ada", clientId: "client-1", scope, grantId, resource: DEMO })).token;
  const post = async (body: unknown, headers: Record<string, string> = {}, scope?: string) => call("/mcp/demo", { ...rpc(await token(scope), headers), body: JSON.stringify(body) }, policyEnv);

  it("filters tools/list in a JSON answer and in a batch, by deny and by the token's scopes", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      const body = JSON.parse(String(init?.body));
      const answer = (m: { id: number }) => ({ jsonrpc: "2.0", id: m.id, result: { tools: TOOLS } });
      return Response.json(Array.isArray(body) ? body.map(answer) : answer(body));
    });
    const single = await post({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(await single.json()).toEqual({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "echo" }] } });
    const admin = await post({ jsonrpc: "2.0", id: 2, method: "tools/list" }, {}, "mcp tools.admin");
    expect(await admin.json()).toEqual({ jsonrpc: "2.0", id: 2, result: { tools: [{ name: "echo" }, { name: "reset" }] } });
  });

  it("answers a denied call -32602 with its id without the origin, and forwards the rest of a batch, adding that answer", async () => {
    const seen: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      seen.push(String(init?.body));
      return Response.json([{ jsonrpc: "2.0", id: 1, result: { tools: TOOLS } }]);
    });
    const denied = await post({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "drop", arguments: {} } });
    expect(denied.status).toBe(200);
    expect(await denied.json()).toEqual({ jsonrpc: "2.0", id: 9, error: { code: -32602, message: "Tool drop not found" } });
    expect(seen).toEqual([]);
    const batch = await post([
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "drop" } },
      { jsonrpc: "2.0", method: "tools/call", params: { name: "drop" } },
    ]);
    expect(await batch.json()).toEqual([
      { jsonrpc: "2.0", id: 1, result: { tools: [{ name: "echo" }] } },
      { jsonrpc: "2.0", id: 2, error: { code: -32602, message: "Tool drop not found" } },
    ]);
    expect(seen).toEqual([JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "tools/list" }])]);
  });

  it("answers a call needing a scope the token lacks with 403 insufficient_scope naming it, without the origin", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const res = await post({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "reset" } });
    expect(res.status).toBe(403);
    expect(res.headers.get("WWW-Authenticate")).toBe(`Bearer resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp/demo", scope="tools.admin", error="insufficient_scope", error_description="the tool reset needs the scope tools.admin"`);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("filters each SSE event as it passes, keeping ids and other events, and refuses a JSON answer that is not JSON-RPC", async () => {
    const list = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: TOOLS } });
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(
      new Response(`id: e1\ndata: \n\nevent: message\nid: e2\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\nevent: message\nid: e3\ndata: ${list}\n\n`, { headers: { "Content-Type": "text/event-stream" } }),
    );
    const res = await post({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(await res.text()).toBe(
      `id: e1\ndata: \n\nevent: message\nid: e2\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\nevent: message\nid: e3\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "echo" }] } })}\n\n`,
    );
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(new Response("<html>oops</html>", { headers: { "Content-Type": "application/json" } }));
    const garbage = await post({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(garbage.status).toBe(502);
    expect(await garbage.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: "Demo tools answered with a body that is not JSON-RPC" }, id: null });
  });

  it("filters results replayed on a GET stream, puts its own answers first in a batch's stream, and replaces data that is not JSON", async () => {
    const list = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: TOOLS } });
    const filtered = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "echo" }] } });
    const stream = () => new Response(`id: e3\r\ndata: ${list}\r\n\r\ndata: <html>\n\n`, { headers: { "Content-Type": "text/event-stream" } });
    const key = await gatewaySessionKey(env);
    const sessionId = await bindSessionId(key, { grantId, server: "demo" }, "s-9");
    const seen: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => (seen.push(new Request(input, init)), stream()));
    const get = await call("/mcp/demo", { method: "GET", headers: { Authorization: `Bearer ${await token()}`, Accept: "text/event-stream", "Mcp-Session-Id": sessionId, "Last-Event-ID": "e2" } }, policyEnv);
    const notJson = JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "Demo tools sent an event that is not JSON-RPC" } });
    expect(await get.text()).toBe(`id: e3\ndata: ${filtered}\r\n\r\ndata: ${notJson}\n\n`);
    expect(seen[0]?.headers.get("Mcp-Session-Id")).toBe("s-9");
    const batch = await post([{ jsonrpc: "2.0", id: 1, method: "tools/list" }, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "drop" } }]);
    const refused = JSON.stringify({ jsonrpc: "2.0", id: 2, error: { code: -32602, message: "Tool drop not found" } });
    expect((await batch.text()).startsWith(`event: message\ndata: ${refused}\n\nid: e3\ndata: ${filtered}\r\n\r\n`)).toBe(true);
  });

  it("refuses Mcp-Method or Mcp-Name headers that disagree with the body (400), without the origin", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const call = { jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "drop" } };
    for (const headers of [{ "Mcp-Method": "tools/call", "Mcp-Name": "echo" }, { "Mcp-Method": "tools/list" }] as Record<string, string>[]) {
      const res = await post(call, headers);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32020);
    }
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
