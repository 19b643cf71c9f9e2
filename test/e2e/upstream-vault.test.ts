// The upstream token vault against a real provider: node-oidc-provider issuing short-lived access tokens and rotating
// single-use refresh tokens (a reused one is refused and ends its grant there). 50 concurrent tool calls with the
// token due make exactly one refresh request; a 500 is retried; invalid_grant ends the Gatehouse grant (event, 401).
// @see RFC 6749 §6, RFC 9700 §4.14.2
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createServer } from "node:http";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { HeadlessOAuthClient } from "./oauth-client";
import { ACCOUNT, startUpstream, type Upstream } from "./upstream-provider";

const PORT = 9001;
const ORIGIN_PORT = 9003;
const ORIGIN = `http://127.0.0.1:${ORIGIN_PORT}/mcp`;
const UPSTREAM_CLIENT_ID = "gatehouse-vault-e2e";
const UPSTREAM_CLIENT_SECRET = "e2e-vault-upstream-secret-long-enough-0123456789";
const ADMIN_TOKEN = "e2e-vault-admin-token-0123456789abcdef-0123456789";
/** Seconds the code's upstream access token lives: within the 60 s margin, so the first tool call must refresh. */
const FIRST_TTL = 30;
/** Seconds a refreshed one lives: served for the first ~2 s, then due again. */
const REFRESHED_TTL = 62;

describe("the upstream token vault with a rotating provider (oidc-provider)", () => {
  let gatehouse: Gatehouse;
  let upstream: Upstream;
  let oauth: HeadlessOAuthClient;
  /** What the origin of `/mcp/api` saw: the provider's answer to its bearer at userinfo, and the verified assertion's `sid`. */
  const originSaw: { userinfo: number; email?: unknown; identitySid?: unknown }[] = [];
  const origin = createServer(async (req, res) => {
    for await (const _ of req);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const userinfo = await fetch(`${upstream.issuer}/me`, { headers: { Authorization: `Bearer ${bearer}` } });
    const claims = userinfo.ok ? ((await userinfo.json()) as { email?: unknown }) : {};
    const jwks = createRemoteJWKSet(new URL(`${gatehouse.url}/.well-known/jwks.json`));
    const identity = await jwtVerify(String(req.headers["gatehouse-identity"] ?? ""), jwks, { issuer: gatehouse.url, audience: ORIGIN, typ: "gh-id+jwt" }).catch(() => undefined);
    originSaw.push({ userinfo: userinfo.status, email: claims.email, identitySid: identity?.payload.sid });
    res.writeHead(200, { "Content-Type": "application/json" }).end('{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}');
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => origin.listen(ORIGIN_PORT, "127.0.0.1", resolve));
    upstream = await startUpstream(`http://localhost:${PORT}`, { clientId: UPSTREAM_CLIENT_ID, clientSecret: UPSTREAM_CLIENT_SECRET }, { refresh: { firstAccessTtl: FIRST_TTL, refreshedAccessTtl: REFRESHED_TTL } });
    const servers = [{ name: "api", origin: ORIGIN, authorization: "upstream:default" }];
    gatehouse = await startGatehouse(PORT, { DEV_IDP: "false", UPSTREAM_ISSUER: upstream.issuer, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET, ADMIN_TOKEN, MCP_SERVERS: JSON.stringify(servers) });
    oauth = new HeadlessOAuthClient({
      redirectUrl: "http://127.0.0.1:33461/callback",
      clientName: "Gatehouse e2e vault client",
      browse: { fill: { login: ACCOUNT.login, password: "any password" }, choose: ["decision=approve"] },
      expectedIssuer: gatehouse.url,
    });
  });

  afterAll(async () => {
    await gatehouse?.stop();
    origin.closeAllConnections();
    await new Promise((resolve) => origin.close(resolve));
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => (upstream?.server ? upstream.server.close(resolve) : resolve(undefined)));
  });

  /** One stateless `tools/call` of `upstream_userinfo` at /mcp with the client's access token. */
  async function userinfo(): Promise<{ status: number; isError?: boolean; text: string; email?: unknown }> {
    const res = await fetch(`${gatehouse.url}/mcp`, {
      method: "POST",
      headers: { Authorization: `Bearer ${oauth.tokens()?.access_token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "upstream_userinfo", arguments: {} } }),
    });
    if (res.status !== 200) return { status: res.status, text: await res.text() };
    const { result } = (await res.json()) as { result: { isError?: boolean; content: { text: string }[]; structuredContent?: { claims: { email?: unknown } } } };
    return { status: 200, isError: result.isError, text: result.content[0]?.text ?? "", email: result.structuredContent?.claims.email };
  }

  const refreshes = () => upstream.tokenRequests.filter((r) => r.startsWith("refresh_token"));
  /** Waits until the stored access token is within the 60 s margin again (REFRESHED_TTL − 60 s, and a little). */
  const untilDue = () => new Promise((resolve) => setTimeout(resolve, (REFRESHED_TTL - 60) * 1000 + 500));

  it("signs in at the provider, which issues a refresh token with the code", async () => {
    const url = new URL(`${gatehouse.url}/mcp`);
    const first = new Client({ name: "vault-e2e", version: "1.0.0" });
    await expect(first.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }))).rejects.toBeInstanceOf(UnauthorizedError);
    await first.close();
    await new StreamableHTTPClientTransport(url, { authProvider: oauth }).finishAuth(oauth.code ?? "");
    expect(upstream.tokenRequests).toEqual(["authorization_code"]);
  });

  it("answers 50 concurrent tool calls with the token due with exactly one refresh at the provider", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => userinfo()));
    expect(results.filter((r) => r.status === 200 && !r.isError && r.email === ACCOUNT.email)).toHaveLength(50);
    expect(refreshes()).toEqual(["refresh_token"]);
    // Served from the vault now: no further refresh.
    expect((await userinfo()).email).toBe(ACCOUNT.email);
    expect(refreshes()).toHaveLength(1);
  });

  it("retries a provider's 500 and succeeds with the rotated refresh token the vault stored", async () => {
    await untilDue();
    upstream.account = "fail-once";
    const result = await userinfo();
    expect(result).toMatchObject({ status: 200, email: ACCOUNT.email });
    // The provider refuses (and revokes) a used refresh token: this success presented the one rotated above.
    expect(refreshes().filter((r) => r === "refresh_token")).toHaveLength(2);
    expect(refreshes().some((r) => r.endsWith("server_error"))).toBe(true);
  });

  it("ends the grant when the provider answers invalid_grant: the tool says so, /mcp answers 401, and the event is recorded", async () => {
    await untilDue();
    upstream.account = "gone";
    try {
      const result = await userinfo();
      expect(result).toMatchObject({ status: 200, isError: true, text: expect.stringContaining("Sign in again") });
    } finally {
      upstream.account = "ok";
    }
    expect(refreshes().at(-1)).toBe("refresh_token invalid_grant");
    const after = await userinfo();
    expect(after.status).toBe(401);
    const events = await fetch(`${gatehouse.url}/admin/api/events?type=grant.revoked`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    const { items } = (await events.json()) as { items: { detail: { reason?: string } | null }[] };
    expect(items.map((e) => e.detail?.reason)).toContain("upstream_revoked");
  });

  it("sends a gateway origin with authorization upstream:default the provider's token and the assertion in Gatehouse-Identity; revoking the grant revokes at the provider", async () => {
    const api = new HeadlessOAuthClient({
      redirectUrl: "http://127.0.0.1:33462/callback",
      clientName: "Gatehouse e2e vault gateway client",
      browse: { fill: { login: ACCOUNT.login, password: "any password" }, choose: ["decision=approve"] },
      expectedIssuer: gatehouse.url,
    });
    const url = new URL(`${gatehouse.url}/mcp/api`);
    const first = new Client({ name: "vault-e2e-api", version: "1.0.0" });
    await expect(first.connect(new StreamableHTTPClientTransport(url, { authProvider: api }))).rejects.toBeInstanceOf(UnauthorizedError);
    await first.close();
    await new StreamableHTTPClientTransport(url, { authProvider: api }).finishAuth(api.code ?? "");
    originSaw.length = 0;
    const res = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${api.tokens()?.access_token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(200);
    // The provider accepted the token the origin got (refreshed first: the code's token was due), and the assertion verified.
    expect(originSaw).toEqual([{ userinfo: 200, email: ACCOUNT.email, identitySid: expect.any(String) }]);

    // Revoking the grant at Gatehouse revokes its upstream tokens at the provider's RFC 7009 endpoint, in the background.
    const revoked = upstream.events.filter((e) => e === "grant.revoked").length;
    const tokens = api.tokens();
    const revoke = await fetch(`${gatehouse.url}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens?.refresh_token ?? "", client_id: api.savedClients[0]?.client_id ?? "" }),
    });
    expect(revoke.status).toBe(200);
    for (let i = 0; i < 50 && upstream.events.filter((e) => e === "grant.revoked").length === revoked; i++) await new Promise((r) => setTimeout(r, 100));
    expect(upstream.events.filter((e) => e === "grant.revoked")).toHaveLength(revoked + 1);
  });
});
