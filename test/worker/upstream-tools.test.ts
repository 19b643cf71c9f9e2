// Who gets the vault's tokens, on real workerd: in-process tools through `ctx.upstreamToken`, `whoami` listing the
// linked providers, gateway origins with `authorization: "upstream:<provider>"`; a provider that can no longer
// refresh ends the grant (event, 401); revocations the Grant object decides itself (refresh-token reuse, code replay, a
// terminal upstream answer) revoke the vault's tokens at the provider's RFC 7009 endpoint. The refresh against a real
// provider: test/e2e/upstream-vault.test.ts.
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig, parseConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { createGatehouse, type Gatehouse, type UpstreamAccessToken, UpstreamTokenError } from "../../src/index";
import { mintAccessToken } from "../../src/tokens/access-token";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { liveGrantId } from "./helpers/grant";
import { grantOf, obtainCode, REDIRECT_URI, registerClient, signIn, tokenRequest } from "./helpers/oauth";
import { vaultKey } from "../../src/tokens/seal";
import { deposit } from "./helpers/vault";

const MCP = `${BASE}/mcp`;

async function tokenFor(grantId: string, resource?: string, target: Env = env): Promise<string> {
  const claims = { subject: "usr_ada", clientId: "client-1", scope: "mcp", grantId, email: "ada@analytical.example", emailVerified: true, resource };
  return (await mintAccessToken(env, resource ? parseConfig(target) : loadConfig(env), claims)).token;
}

function rpc(token: string, message: object, url = MCP): Request {
  return new Request(url, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
    body: JSON.stringify(message),
  });
}

async function call(handler: Pick<Gatehouse, "fetch">, request: Request, target: Env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await handler.fetch(request, target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A Gatehouse whose tool `token` answers with what `ctx.upstreamToken(provider)` gave, or the error's code. */
function withTokenTool(): Gatehouse {
  return createGatehouse({
    tools(server, context) {
      server.registerTool("token", { description: "The caller's upstream token" }, async () => {
        try {
          const token: UpstreamAccessToken = await context.upstreamToken("dev");
          return { content: [{ type: "text", text: JSON.stringify(token) }] };
        } catch (err) {
          if (!(err instanceof UpstreamTokenError)) throw err;
          return { isError: true, content: [{ type: "text", text: err.code }] };
        }
      });
    },
  });
}

const toolCall = (name: string, args: object = {}) => ({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } });

async function toolText(res: Response): Promise<{ text: string; isError?: boolean; structured?: unknown }> {
  expect(res.status).toBe(200);
  const { result } = (await res.json()) as { result: { content: { text: string }[]; isError?: boolean; structuredContent?: unknown } };
  return { text: result.content[0]?.text ?? "", isError: result.isError, structured: result.structuredContent };
}

afterEach(() => vi.restoreAllMocks());

describe("ctx.upstreamToken for in-process tools", () => {
  it("hands a tool the vaulted access token of the provider", async () => {
    const grantId = await liveGrantId("client-1", [deposit()]);
    const { text, isError } = await toolText(await call(withTokenTool(), rpc(await tokenFor(grantId), toolCall("token"))));
    expect(isError).toBeUndefined();
    expect(JSON.parse(text)).toEqual({ provider: "dev", accessToken: "upstream-at", tokenType: "bearer", scope: "openid email", expiresAt: expect.any(Number), refreshed: false });
  });

  it("tells the tool when the grant holds no token of the provider", async () => {
    const grantId = await liveGrantId("client-1", []);
    expect(await toolText(await call(withTokenTool(), rpc(await tokenFor(grantId), toolCall("token"))))).toMatchObject({ isError: true, text: "not_linked" });
  });

  it("ends the grant when its refresh token was issued to an older upstream client: event, then 401", async () => {
    const grantId = await liveGrantId("client-1", [{ ...deposit({ expiresAt: Date.now() - 1 }), clientId: "gatehouse-before-rotation" }]);
    const gatehouse = withTokenTool();
    const token = await tokenFor(grantId);
    expect(await toolText(await call(gatehouse, rpc(token, toolCall("token"))))).toMatchObject({ isError: true, text: "revoked" });
    const event = await env.DB.prepare("SELECT detail FROM events WHERE type = 'grant.revoked' AND grant_id = ?").bind(grantId).first<{ detail: string }>();
    expect(JSON.parse(event?.detail ?? "{}")).toMatchObject({ reason: "upstream_revoked" });
    const again = await call(gatehouse, rpc(token, toolCall("token")));
    expect(again.status).toBe(401);
    expect(again.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  });
});

describe("whoami", () => {
  it("lists the linked providers by name and scopes, never a token", async () => {
    const grantId = await liveGrantId("client-1", [deposit(), deposit({ accessToken: "gh-secret", scope: "repo read:user" }, "github")]);
    const { structured, text } = await toolText(await call(worker, rpc(await tokenFor(grantId), toolCall("whoami"))));
    expect(structured).toMatchObject({ linked_providers: [{ provider: "dev", scopes: ["openid", "email"] }, { provider: "github", scopes: ["repo", "read:user"] }] });
    expect(text).not.toMatch(/upstream-at|upstream-rt|gh-secret/);
  });
});

describe("gateway servers with authorization: upstream:<provider>", () => {
  const upstreamEnv = {
    ...env,
    MCP_SERVERS: JSON.stringify([{ name: "api", origin: "https://api.example/mcp", authorization: "upstream:dev" }, { name: "plain", origin: "https://plain.example/mcp" }]),
  } as Env;

  it("sends the origin the provider's access token as the bearer and the identity assertion in Gatehouse-Identity", async () => {
    const grantId = await liveGrantId("client-1", [deposit()]);
    const seen: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      seen.push(new Request(input, init));
      return Response.json({ jsonrpc: "2.0", id: 1, result: { tools: [] } });
    });
    const res = await call(worker, rpc(await tokenFor(grantId, `${BASE}/mcp/api`, upstreamEnv), { jsonrpc: "2.0", id: 1, method: "tools/list" }, `${BASE}/mcp/api`), upstreamEnv);
    expect(res.status).toBe(200);
    expect(seen[0]?.headers.get("Authorization")).toBe("Bearer upstream-at");
    const assertion = seen[0]?.headers.get("Gatehouse-Identity") ?? "";
    expect(decodeJwt(assertion)).toMatchObject({ aud: "https://api.example/mcp", sid: grantId, email: "ada@analytical.example" });
  });

  it("keeps the assertion as the bearer for a server with the default authorization", async () => {
    const grantId = await liveGrantId("client-1", [deposit()]);
    const seen: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      seen.push(new Request(input, init));
      return Response.json({ jsonrpc: "2.0", id: 1, result: { tools: [] } });
    });
    await call(worker, rpc(await tokenFor(grantId, `${BASE}/mcp/plain`, upstreamEnv), { jsonrpc: "2.0", id: 1, method: "tools/list" }, `${BASE}/mcp/plain`), upstreamEnv);
    expect(seen[0]?.headers.get("Authorization")).toMatch(/^Bearer ey/);
    expect(seen[0]?.headers.get("Gatehouse-Identity")).toBeNull();
  });

  it("answers 401 invalid_token without reaching the origin when the provider ended the grant, 502 when not linked", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const ended = await liveGrantId("client-1", [{ ...deposit({ expiresAt: Date.now() - 1 }), clientId: "gatehouse-before-rotation" }]);
    const res = await call(worker, rpc(await tokenFor(ended, `${BASE}/mcp/api`, upstreamEnv), { jsonrpc: "2.0", id: 1, method: "tools/list" }, `${BASE}/mcp/api`), upstreamEnv);
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
    expect(res.headers.get("WWW-Authenticate")).toContain(`resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp/api"`);
    const unlinked = await liveGrantId("client-1", []);
    const refused = await call(worker, rpc(await tokenFor(unlinked, `${BASE}/mcp/api`, upstreamEnv), { jsonrpc: "2.0", id: 1, method: "tools/list" }, `${BASE}/mcp/api`), upstreamEnv);
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

describe("proactive refresh from the grant's alarm", () => {
  it("arms the alarm ahead of a used token's expiry and, when it fires, has the Worker refresh through the loopback", async () => {
    const grantId = await liveGrantId("client-1", [deposit({ expiresAt: Date.now() + 3_600_000 })]);
    const stub = env.GRANTS.get(env.GRANTS.idFromString(grantId));
    await toolText(await call(withTokenTool(), rpc(await tokenFor(grantId), toolCall("token"))));
    const armed = await runInDurableObject(stub, async (_i, state) => ({ alarm: await state.storage.getAlarm(), url: state.storage.sql.exec("SELECT refresh_ahead_url FROM vault_settings").one().refresh_ahead_url }));
    expect(armed.url).toBe(`${BASE}/_gatehouse/vault/refresh-ahead`);
    expect(armed.alarm).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(armed.alarm).toBeLessThanOrEqual(Date.now() + 55 * 60_000);
    // The token is now within the proactive window: the alarm asks the Worker, which asks the provider.
    await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("UPDATE upstream_vault SET expires_at = ?, linked_at = ?", Date.now() + 2 * 60_000, Date.now() - 3_600_000));
    const warn = vi.spyOn(console, "warn");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // The development IdP has no refresh grant: a transient answer, so nothing changed but the attempt is noted.
    expect(warn.mock.calls.map((args) => String(args[0]))).toContainEqual(expect.stringContaining('"event":"upstream.refresh_failed","provider":"dev"'));
    const after = await runInDurableObject(stub, async (_i, state) => ({ alarm: await state.storage.getAlarm(), row: state.storage.sql.exec("SELECT ahead_tried_at, refreshed_at FROM upstream_vault").one() }));
    expect(after.row).toEqual({ ahead_tried_at: expect.any(Number), refreshed_at: null });
    expect(after.alarm).toBeGreaterThanOrEqual(Number(after.row.ahead_tried_at) + 5 * 60_000);
    expect(await stub.checkLive()).toBe(true);
  });

  it("refuses a proactive-refresh request that does not carry the alarm's ticket", async () => {
    const grantId = await liveGrantId("client-1", [deposit({ expiresAt: Date.now() + 60_000 })]);
    const res = await call(worker, new Request(`${BASE}/_gatehouse/vault/refresh-ahead`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ grant_id: grantId, ticket: "guess" }) }));
    expect(res.status).toBe(404);
    expect((await call(worker, new Request(`${BASE}/_gatehouse/vault/refresh-ahead`, { method: "POST", body: "{" }))).status).toBe(400);
  });
});

describe("revocations the grant decides itself revoke the vault's tokens at the provider", () => {
  const EXT = "https://ext.example";
  /** A linked provider `ext` with an RFC 7009 endpoint (answered by the fetch stub of `stubProvider`). */
  const extEnv = { ...env, UPSTREAMS: JSON.stringify([{ name: "ext", issuer: EXT, client_id: "ext-client", client_secret: "ext-secret-0123456789" }]) } as Env;
  const extDeposit = { provider: "ext", clientId: "ext-client", tokens: { accessToken: "ext-at", refreshToken: "ext-rt", expiresAt: Date.now() + 3_600_000, tokenType: "bearer" } };

  /** Stubs `ext`'s discovery and revocation endpoint; returns what the endpoint received, as `token (hint)`. */
  function stubProvider(): string[] {
    const revoked: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url === `${EXT}/.well-known/openid-configuration`) {
        return Response.json({ issuer: EXT, authorization_endpoint: `${EXT}/authorize`, token_endpoint: `${EXT}/token`, revocation_endpoint: `${EXT}/revoke`, jwks_uri: `${EXT}/jwks`, response_types_supported: ["code"] });
      }
      if (request.url === `${EXT}/revoke` && request.method === "POST") {
        const form = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
        // RFC 6749 §2.3.1: id and secret form-encoded before base64 (oauth4webapi encodes `-` too).
        const basic = atob((request.headers.get("Authorization") ?? "").replace(/^Basic /, "")).split(":").map(decodeURIComponent);
        const authenticated = basic.join(":") === "ext-client:ext-secret-0123456789";
        revoked.push(`${form.get("token")} (${form.get("token_type_hint")})${authenticated ? "" : ` unauthenticated: ${request.headers.get("Authorization")}`}`);
        return new Response(null, { status: 200 });
      }
      return new Response("unexpected", { status: 599 });
    });
    return revoked;
  }

  const link = async (handle: string) => expect(await grantOf(handle).linkUpstream({ key: await vaultKey(env, loadConfig(env)), deposit: extDeposit })).toMatchObject({ ok: true });

  it("refresh-token reuse: the provider's revocation endpoint receives the vault's refresh and access token, once each", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    await link(tokens.refresh_token);
    const revoked = stubProvider();
    const refresh = (token: string) => tokenRequest({ grant_type: "refresh_token", refresh_token: token, client_id: client.client_id }, {}, extEnv);
    const first = (await (await refresh(tokens.refresh_token)).json()) as { refresh_token: string };
    expect((await refresh(first.refresh_token)).status).toBe(200);
    expect(revoked).toEqual([]);
    // The first token again, after its successor was used: reuse, the grant is revoked, and so are its upstream tokens.
    expect((await refresh(tokens.refresh_token)).status).toBe(400);
    expect(revoked).toEqual(["ext-rt (refresh_token)", "ext-at (access_token)"]);
    expect((await refresh(first.refresh_token)).status).toBe(400);
    expect(revoked).toHaveLength(2);
  });

  it("code replay: the provider's revocation endpoint receives the vault's tokens once", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    await link(code);
    const revoked = stubProvider();
    const redeem = () => tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }, {}, extEnv);
    expect((await redeem()).status).toBe(200);
    // Past the duplicate-submission window: a replay, which revokes the grant.
    await runInDurableObject(grantOf(code), (_i, state) => state.storage.sql.exec("UPDATE grant_state SET code_redeemed_at = code_redeemed_at - 11000"));
    expect((await redeem()).status).toBe(400);
    expect(await grantOf(code).checkLive()).toBe(false);
    expect(revoked).toEqual(["ext-rt (refresh_token)", "ext-at (access_token)"]);
    expect((await redeem()).status).toBe(400);
    expect(revoked).toHaveLength(2);
  });

  it("a terminal answer for one provider revokes the other linked providers' tokens at their endpoints", async () => {
    const grantId = await liveGrantId("client-1", [{ ...deposit({ expiresAt: Date.now() - 1 }), clientId: "gatehouse-before-rotation" }, extDeposit]);
    const revoked = stubProvider();
    expect(await toolText(await call(withTokenTool(), rpc(await tokenFor(grantId), toolCall("token")), extEnv))).toMatchObject({ isError: true, text: "revoked" });
    expect(revoked).toEqual(["ext-rt (refresh_token)", "ext-at (access_token)"]);
  });
});
