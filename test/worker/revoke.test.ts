// POST /revoke (RFC 7009), POST /introspect (RFC 7662) and grant liveness at /mcp, on real Grant objects.
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { isGrantLive } from "../../src/tokens/liveness";
import worker from "../../src/worker";
import { BASE, workerFetch } from "./helpers/browser";
import { grantOf, mcpStatus, obtainCode, REDIRECT_URI, registerClient, signIn, type TestClient, tokenRequest } from "./helpers/oauth";

interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** A form POST through the Worker's `fetch` with the execution context awaited: the grant index is updated (waitUntil) when it answers. */
function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return workerFetch(env)(`${BASE}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
}

function grantIdOf(accessToken: string): string {
  const payload = JSON.parse(atob((accessToken.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as { sid: string };
  return payload.sid;
}

async function indexStatus(grantId: string): Promise<string | undefined> {
  return (await env.DB.prepare("SELECT status FROM grants WHERE id = ?").bind(grantId).first<{ status: string }>())?.status;
}

const SECRET = "resource-server-secret-0123456789";
const RESOURCE_SERVER = "resource-server";

/** Gatehouse with a resource server declared for introspection, and a declared client that is not one. */
const declared = {
  ...env,
  STATIC_CLIENTS: JSON.stringify([
    { client_id: RESOURCE_SERVER, client_name: "Resource server", token_endpoint_auth_method: "client_secret_basic", client_secret: SECRET, introspection: true },
    { client_id: "internal-tool", client_name: "Internal Tool", redirect_uris: ["https://tool.example.com/cb"], token_endpoint_auth_method: "client_secret_basic", client_secret: SECRET },
  ]),
} as Env;

async function introspectAt(target: Env, form: Record<string, string>, headers: Record<string, string>): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`${BASE}/introspect`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(form) });
  const res = await worker.fetch(request, target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const basic = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

describe("POST /revoke", () => {
  it("revokes the grant when its client revokes the refresh token: refresh and /mcp stop working", async () => {
    const { client, tokens } = await signIn();
    const res = await post("/revoke", { token: tokens.refresh_token, token_type_hint: "refresh_token", client_id: client.client_id });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.text()).toBe("");
    expect(await grantOf(tokens.refresh_token).checkLive()).toBe(false);
    expect(await mcpStatus(tokens.access_token)).toBe(401);
    const refreshed = await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: client.client_id });
    expect(refreshed.status).toBe(400);
    expect(await indexStatus(grantIdOf(tokens.access_token))).toBe("revoked");
  });

  it("revokes the grant when its client revokes the access token", async () => {
    const { client, tokens } = await signIn();
    expect(await mcpStatus(tokens.access_token)).toBe(200);
    const res = await post("/revoke", { token: tokens.access_token, client_id: client.client_id });
    expect(res.status).toBe(200);
    expect(await mcpStatus(tokens.access_token)).toBe(401);
    expect(await grantOf(tokens.refresh_token).checkLive()).toBe(false);
  });

  it("answers 200 with no effect when another client presents the tokens", async () => {
    const { tokens } = await signIn();
    const other = await registerClient();
    expect((await post("/revoke", { token: tokens.refresh_token, client_id: other.client_id })).status).toBe(200);
    expect((await post("/revoke", { token: tokens.access_token, client_id: other.client_id })).status).toBe(200);
    expect(await grantOf(tokens.refresh_token).checkLive()).toBe(true);
    expect(await mcpStatus(tokens.access_token)).toBe(200);
  });

  it("answers 200 for unknown, malformed and already revoked tokens", async () => {
    const { client, tokens } = await signIn();
    for (const token of ["garbage", `gh1r_${"0".repeat(64)}.${"A".repeat(43)}`, `${tokens.refresh_token.split(".")[0]}.${"B".repeat(43)}`, "eyJhbGciOiJub25lIn0.e30."]) {
      expect((await post("/revoke", { token, client_id: client.client_id })).status).toBe(200);
    }
    expect(await grantOf(tokens.refresh_token).checkLive()).toBe(true);
    expect((await post("/revoke", { token: tokens.refresh_token, client_id: client.client_id })).status).toBe(200);
    expect((await post("/revoke", { token: tokens.refresh_token, client_id: client.client_id })).status).toBe(200);
  });

  it("requires client authentication (401 invalid_client) and the token parameter (400 invalid_request)", async () => {
    const { client, tokens } = await signIn();
    const anonymous = await post("/revoke", { token: tokens.refresh_token });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toBe("invalid_client");
    const missing = await post("/revoke", { client_id: client.client_id });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe("invalid_request");
    expect(await grantOf(tokens.refresh_token).checkLive()).toBe(true);
  });
});

describe("POST /introspect", () => {
  const ADMIN = { Authorization: "Bearer test-admin-token-0123456789abcdef-0123" };
  const WRONG_ADMIN = { Authorization: `Bearer ${"a".repeat(40)}` };

  async function introspect(token: string, headers: Record<string, string>): Promise<Record<string, unknown>> {
    const res = await introspectAt(declared, { token }, headers);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    return (await res.json()) as Record<string, unknown>;
  }

  it("describes a live access token to a resource server declared with introspection", async () => {
    const { client, tokens } = await signIn();
    expect(await introspect(tokens.access_token, { Authorization: basic(RESOURCE_SERVER, SECRET) })).toMatchObject({
      active: true,
      token_type: "Bearer",
      client_id: client.client_id,
      scope: "mcp",
      iss: BASE,
      aud: `${BASE}/mcp`,
      sub: expect.stringMatching(/.+/),
      email: "ada@analytical.example",
      sid: grantIdOf(tokens.access_token),
      exp: expect.any(Number),
      iat: expect.any(Number),
    });
  });

  it("describes a live access token to the operator's ADMIN_TOKEN bearer", async () => {
    const { tokens } = await signIn();
    expect(await introspect(tokens.access_token, ADMIN)).toMatchObject({ active: true, scope: "mcp" });
  });

  it("describes a live refresh token, and a rotated one as inactive", async () => {
    const { client, tokens } = await signIn();
    const auth = { Authorization: basic(RESOURCE_SERVER, SECRET) };
    expect(await introspect(tokens.refresh_token, auth)).toMatchObject({ active: true, token_type: "refresh_token", client_id: client.client_id, scope: "mcp" });
    await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: client.client_id });
    expect(await introspect(tokens.refresh_token, auth)).toEqual({ active: false });
  });

  it("answers active false for revoked, expired and garbage tokens", async () => {
    const { client, tokens } = await signIn();
    const auth = { Authorization: basic(RESOURCE_SERVER, SECRET) };
    expect(await introspect("garbage", auth)).toEqual({ active: false });
    expect(await introspect(`gh1r_${"0".repeat(64)}.${"A".repeat(43)}`, auth)).toEqual({ active: false });
    await post("/revoke", { token: tokens.refresh_token, client_id: client.client_id });
    expect(await introspect(tokens.access_token, auth)).toEqual({ active: false });
    expect(await introspect(tokens.refresh_token, auth)).toEqual({ active: false });
    const other = await signIn({ client });
    await runInDurableObject(grantOf(other.tokens.refresh_token), (_i, state) => {
      state.storage.sql.exec("UPDATE grant_state SET expires_at = ? WHERE singleton = 1", Date.now() - 1);
    });
    expect(await introspect(other.tokens.refresh_token, auth)).toEqual({ active: false });
    expect(await introspect(other.tokens.access_token, auth)).toEqual({ active: false });
  });

  it("refuses unauthenticated callers, public clients, a wrong secret and a wrong bearer with 401", async () => {
    const { client, tokens } = await signIn();
    for (const [form, headers] of [
      [{ token: tokens.access_token }, {}],
      [{ token: tokens.access_token, client_id: client.client_id }, {}],
      [{ token: tokens.access_token }, { Authorization: basic(RESOURCE_SERVER, "wrong") }],
      [{ token: tokens.access_token }, WRONG_ADMIN],
    ] as const) {
      const res = await introspectAt(declared, form, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(((await res.json()) as { error: string }).error).toBe("invalid_client");
    }
  });

  it("refuses a self-registered confidential client and a declared client not marked for introspection, with 401", async () => {
    const { tokens } = await signIn();
    const registered = await registerClient({ token_endpoint_auth_method: "client_secret_basic" });
    const attempts: [Env, string][] = [
      [env, basic(registered.client_id, registered.client_secret ?? "")],
      [declared, basic(registered.client_id, registered.client_secret ?? "")],
      [declared, basic("internal-tool", SECRET)],
    ];
    for (const [target, authorization] of attempts) {
      const res = await introspectAt(target, { token: tokens.access_token }, { Authorization: authorization });
      expect(res.status).toBe(401);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(await res.json()).toEqual({ error: "invalid_client", error_description: "introspection is allowed only to resource servers declared by the operator" });
    }
  });
});

describe("grant liveness at /mcp", () => {
  it("keeps an isolate's answer for the configured time, then sees a revocation made elsewhere", async () => {
    const { tokens } = await signIn();
    const grantId = grantIdOf(tokens.access_token);
    const now = Date.now();
    expect(await isGrantLive(env, grantId, 30, now)).toBe(true);
    // Revoked straight on the object, as another isolate's /revoke would: this isolate has not heard of it.
    await grantOf(tokens.refresh_token).revoke("test");
    expect(await isGrantLive(env, grantId, 30, now + 29_000)).toBe(true);
    expect(await isGrantLive(env, grantId, 30, now + 30_001)).toBe(false);
  });

  it("asks the grant on every request with LIVENESS_CACHE_TTL=0", async () => {
    const { tokens } = await signIn();
    const grantId = grantIdOf(tokens.access_token);
    expect(await isGrantLive(env, grantId, 0)).toBe(true);
    await grantOf(tokens.refresh_token).revoke("test");
    expect(await isGrantLive(env, grantId, 0)).toBe(false);
  });

  it("rejects the access token of a grant whose code was replayed with 401 invalid_token", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    const first = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id });
    const { access_token } = (await first.json()) as Tokens;
    expect(await mcpStatus(access_token)).toBe(200);
    const other = await registerClient();
    await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: other.client_id });
    const res = await exports.default.fetch(`${BASE}/mcp`, {
      method: "POST",
      headers: { Authorization: `Bearer ${access_token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  });
});
