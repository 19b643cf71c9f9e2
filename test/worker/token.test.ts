// POST /token with grant_type=authorization_code: one winner, replay and duplicate rules, every check on the code,
// client authentication, and the endpoint's own request errors.
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256 } from "../../src/crypto";
import { clientInsert } from "../../src/db/clients";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { countingD1, interceptD1, onRun } from "./helpers/d1";
import { grantOf, MCP_RESOURCE, obtainCode, REDIRECT_URI, registerClient, type TestClient, tokenRequest } from "./helpers/oauth";

/** Asserts an RFC 6749 §5.2 error response. */
async function expectError(res: Response, status: number, error: string, description?: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  expect(res.headers.get("Pragma")).toBe("no-cache");
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  if (description !== undefined) expect(body.error_description).toBe(description);
}

function redeem(client: TestClient, code: string, verifier: string, extra: Record<string, string> = {}): Promise<Response> {
  return tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id, ...extra });
}

async function whoamiStatus(accessToken: string): Promise<number> {
  const res = await exports.default.fetch(`${BASE}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  return res.status;
}

/** Moves the grant's first redemption `ms` into the past. */
async function ageRedemption(code: string, ms: number): Promise<void> {
  await runInDurableObject(grantOf(code), (_i, state) => {
    state.storage.sql.exec("UPDATE grant_state SET code_redeemed_at = code_redeemed_at - ?", ms);
  });
}

const CODE_ERROR = "the authorization code is invalid, expired or already used";

describe("POST /token: redeeming a code", () => {
  it("answers with a Bearer access token, its lifetime and scope, and a refresh token (authorization_code implies refresh_token), never cached", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client, { params: { scope: "mcp offline_access" } });
    const res = await redeem(client, code, verifier, { resource: MCP_RESOURCE });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Pragma")).toBe("no-cache");
    expect(await res.json()).toEqual({ access_token: expect.stringMatching(/^ey/), token_type: "Bearer", expires_in: 3600, scope: "mcp", refresh_token: expect.stringMatching(/^gh1r_/) });
  });

  it("lets exactly one of 50 concurrent redemptions succeed and keeps the grant alive", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    const responses = await Promise.all(Array.from({ length: 50 }, () => redeem(client, code, verifier)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(49);
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ error?: string; access_token?: string }>));
    expect(bodies.filter((b) => b.error === "invalid_grant")).toHaveLength(49);
    const token = bodies.find((b) => b.access_token)?.access_token ?? "";
    expect(await grantOf(code).checkLive()).toBe(true);
    expect(await whoamiStatus(token)).toBe(200);
  });

  it("denies a duplicate submission within 10 seconds without revoking the grant", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    expect((await redeem(client, code, verifier)).status).toBe(200);
    await expectError(await redeem(client, code, verifier), 400, "invalid_grant", CODE_ERROR);
    expect(await grantOf(code).checkLive()).toBe(true);
    const row = await env.DB.prepare("SELECT status FROM grants WHERE id = ?").bind(code.slice(5, 69)).first();
    expect(row).toEqual({ status: "active" });
  });

  it("revokes the grant when the code is replayed after the duplicate window", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    expect((await redeem(client, code, verifier)).status).toBe(200);
    await ageRedemption(code, 11_000);
    await expectError(await redeem(client, code, verifier), 400, "invalid_grant", CODE_ERROR);
    expect(await grantOf(code).checkLive()).toBe(false);
    const grantId = code.slice(5, 69);
    expect(await env.DB.prepare("SELECT status FROM grants WHERE id = ?").bind(grantId).first()).toEqual({ status: "revoked" });
    const types = await env.DB.prepare("SELECT type FROM events WHERE grant_id = ? ORDER BY id").bind(grantId).all();
    expect(types.results.map((r) => r.type)).toEqual(expect.arrayContaining(["code.replayed", "grant.revoked"]));
  });

  it("revokes the grant when another client replays a redeemed code", async () => {
    const client = await registerClient();
    const thief = await registerClient({ client_name: "Thief" });
    const { code, verifier } = await obtainCode(client);
    expect((await redeem(client, code, verifier)).status).toBe(200);
    await expectError(await redeem(thief, code, verifier), 400, "invalid_grant");
    expect(await grantOf(code).checkLive()).toBe(false);
  });

  it("refuses an expired code once the alarm has ended the grant", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    const grant = grantOf(code);
    await runInDurableObject(grant, (_i, state) => {
      state.storage.sql.exec("UPDATE grant_state SET expires_at = expires_at - 61000");
    });
    await expectError(await redeem(client, code, verifier), 400, "invalid_grant", CODE_ERROR);
    expect(await runDurableObjectAlarm(grant)).toBe(true);
    await expectError(await redeem(client, code, verifier), 400, "invalid_grant", CODE_ERROR);
  });

  it("refuses a wrong code_verifier, and the code still works with the right one", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    await expectError(await redeem(client, code, "x".repeat(43)), 400, "invalid_grant", "code_verifier does not match the code_challenge");
    expect((await redeem(client, code, verifier)).status).toBe(200);
  });

  it("refuses a redirect_uri that differs from the authorization request's", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    await expectError(await redeem(client, code, verifier, { redirect_uri: "http://127.0.0.1:9999/callback" }), 400, "invalid_grant", "redirect_uri does not match the authorization request");
  });

  it("requires redirect_uri when the authorization request had one", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    const res = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, client_id: client.client_id });
    await expectError(res, 400, "invalid_grant", "redirect_uri does not match the authorization request");
  });

  it("accepts a redemption without redirect_uri when the authorization request had none", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client, { params: { redirect_uri: undefined } });
    const res = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, client_id: client.client_id });
    expect(res.status).toBe(200);
  });

  it("refuses a code issued to another client", async () => {
    const client = await registerClient();
    const other = await registerClient({ client_name: "Other" });
    const { code, verifier } = await obtainCode(client);
    await expectError(await redeem(other, code, verifier), 400, "invalid_grant", "the authorization code was issued to another client");
    expect((await redeem(client, code, verifier)).status).toBe(200);
  });

  it("refuses a resource other than the authorization request's with invalid_target", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    await expectError(await redeem(client, code, verifier, { resource: "https://other.example/mcp" }), 400, "invalid_target");
  });

  it.each([
    ["not a code handle", "abc"],
    ["a refresh token handle", `gh1r_${"ab".repeat(32)}.${"A".repeat(43)}`],
    ["a grant id this server never issued", `gh1c_${"ab".repeat(32)}.${"A".repeat(43)}`],
  ])("refuses a code that is %s", async (_name, code) => {
    const client = await registerClient();
    await expectError(await redeem(client, code, "v".repeat(43)), 400, "invalid_grant", "the authorization code is invalid");
  });
});

describe("POST /token: the grant index", () => {
  const isIndexWrite = (sql: string) => sql.trimStart().startsWith("INSERT INTO grants");
  const indexed = async (grantId: string) => (await env.DB.prepare("SELECT status, expires_at FROM grants WHERE id = ?").bind(grantId).first<{ status: string; expires_at: number }>()) ?? undefined;

  it("writes the grant's lifetime into its index row before answering (the code's row expires in 60 s)", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client);
    // A slow D1 write: an answer that does not wait for it would arrive first.
    const slow = interceptD1(env, (sql, statement) => (isIndexWrite(sql) ? onRun(statement, async (run) => (await scheduler.wait(300), run())) : statement));
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }) }), slow, ctx);
    expect(res.status).toBe(200);
    // REFRESH_IDLE_TTL (30 days) from now, read before any background work could finish.
    const row = await indexed(grantOf(code).id.toString());
    expect(row?.status).toBe("active");
    expect(row?.expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000) + 29 * 86_400);
    await waitOnExecutionContext(ctx);
  });

  it("answers 500 server_error and revokes the grant when its index row cannot be written", async () => {
    const client = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
    const { code, verifier } = await obtainCode(client);
    const failing = interceptD1(env, (sql, statement) => (isIndexWrite(sql) ? onRun(statement, () => Promise.reject(new Error("D1_ERROR: storage unavailable"))) : statement));
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }) }), failing, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toEqual({ error: "server_error", error_description: expect.stringMatching(/^internal error \(reference [0-9a-f-]{36}\)$/) });
    expect(await grantOf(code).checkLive()).toBe(false);
    expect((await indexed(grantOf(code).id.toString()))?.expires_at).toBeLessThan(Math.floor(Date.now() / 1000) + 120);
    // The redemption's events went down with the index write: no tokens left, the withdrawal is what is recorded.
    const types = await env.DB.prepare("SELECT type FROM events WHERE grant_id = ? ORDER BY id").bind(grantOf(code).id.toString()).all<{ type: string }>();
    expect(types.results.map((r) => r.type)).not.toContain("code.redeemed");
    expect(types.results.map((r) => r.type)).toContain("grant.revoked");
    // Nor was the client's first use: no token left.
    const used = await env.DB.prepare("SELECT last_used_at FROM clients WHERE client_id = ?").bind(client.client_id).first<{ last_used_at: number | null }>();
    expect(used?.last_used_at).toBeNull();
  });

  it("redeems a code in one D1 round trip: the index row, the client's first use and the three events, nothing after the response", async () => {
    const client = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
    const { code, verifier } = await obtainCode(client);
    const trips: string[] = [];
    const res = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }, {}, countingD1(env, trips));
    expect(res.status).toBe(200);
    expect(trips).toEqual(["batch:3"]);
    const types = await env.DB.prepare("SELECT type FROM events WHERE grant_id = ? AND type IN ('code.redeemed', 'refresh_token.issued', 'access_token.issued') ORDER BY id").bind(grantOf(code).id.toString()).all<{ type: string }>();
    expect(types.results.map((r) => r.type)).toEqual(["code.redeemed", "refresh_token.issued", "access_token.issued"]);
    const used = await env.DB.prepare("SELECT last_used_at FROM clients WHERE client_id = ?").bind(client.client_id).first<{ last_used_at: number | null }>();
    expect(used?.last_used_at).toBeGreaterThan(0);
  });
});

describe("POST /token: client authentication", () => {
  const SECRET = "s3cret:with%special+chars and space";
  const CLIENT_ID = "conf:client+id";

  async function confidential(method: "client_secret_basic" | "client_secret_post"): Promise<TestClient> {
    const clientId = `${CLIENT_ID} ${method} ${crypto.randomUUID()}`;
    await clientInsert(env.DB, {
      clientId,
      kind: "static",
      clientSecretHash: await sha256(SECRET),
      clientName: "Confidential",
      redirectUris: [REDIRECT_URI],
      grantTypes: ["authorization_code"],
      tokenEndpointAuthMethod: method,
      applicationType: "web",
      metadata: {},
      createdAt: 0,
    }).run();
    return { client_id: clientId, redirect_uris: [REDIRECT_URI] };
  }

  /** RFC 6749 §2.3.1: each part form-urlencoded, then joined and base64-encoded. */
  function basic(id: string, secret: string): string {
    const encode = (v: string) => encodeURIComponent(v).replace(/%20/g, "+");
    return `Basic ${btoa(`${encode(id)}:${encode(secret)}`)}`;
  }

  function exchange(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return tokenRequest({ grant_type: "authorization_code", redirect_uri: REDIRECT_URI, ...form }, headers);
  }

  it("accepts client_secret_basic with form-urlencoded credentials", async () => {
    const client = await confidential("client_secret_basic");
    const { code, verifier } = await obtainCode(client);
    const res = await exchange({ code, code_verifier: verifier }, { Authorization: basic(client.client_id, SECRET) });
    expect(res.status).toBe(200);
  });

  it("refuses client_secret_basic with the wrong secret: 401 invalid_client with a Basic challenge", async () => {
    const client = await confidential("client_secret_basic");
    const { code, verifier } = await obtainCode(client);
    const res = await exchange({ code, code_verifier: verifier }, { Authorization: basic(client.client_id, "wrong") });
    expect(res.headers.get("WWW-Authenticate")).toBe('Basic realm="token", charset="UTF-8"');
    await expectError(res, 401, "invalid_client");
    expect((await exchange({ code, code_verifier: verifier }, { Authorization: basic(client.client_id, SECRET) })).status).toBe(200);
  });

  it("accepts client_secret_post", async () => {
    const client = await confidential("client_secret_post");
    const { code, verifier } = await obtainCode(client);
    expect((await exchange({ code, code_verifier: verifier, client_id: client.client_id, client_secret: SECRET })).status).toBe(200);
  });

  it("refuses client_secret_post with the wrong secret", async () => {
    const client = await confidential("client_secret_post");
    const { code, verifier } = await obtainCode(client);
    const res = await exchange({ code, code_verifier: verifier, client_id: client.client_id, client_secret: "wrong" });
    expect(res.headers.get("WWW-Authenticate")).toBeNull();
    await expectError(res, 401, "invalid_client");
  });

  it("refuses a confidential client that sends no secret", async () => {
    const client = await confidential("client_secret_post");
    const { code, verifier } = await obtainCode(client);
    await expectError(await exchange({ code, code_verifier: verifier, client_id: client.client_id }), 401, "invalid_client");
  });

  it("refuses a request with no client at all", async () => {
    await expectError(await exchange({ code: "x", code_verifier: "v".repeat(43) }), 401, "invalid_client");
  });

  it("accepts a DCR-registered confidential client with its issued secret over Basic", async () => {
    const client = await registerClient({ token_endpoint_auth_method: "client_secret_basic" });
    const { code, verifier } = await obtainCode(client);
    const res = await exchange({ code, code_verifier: verifier }, { Authorization: basic(client.client_id, client.client_secret ?? "") });
    expect(res.status).toBe(200);
  });
});

describe("POST /token: request errors", () => {
  it("answers unsupported_grant_type for an unknown grant type", async () => {
    await expectError(await tokenRequest({ grant_type: "password", client_id: "x" }), 400, "unsupported_grant_type");
  });

  it("answers invalid_request when grant_type is missing", async () => {
    await expectError(await tokenRequest({ client_id: "x" }), 400, "invalid_request", "missing parameter grant_type");
  });

  it("answers invalid_request for a JSON body", async () => {
    const res = await exports.default.fetch(`${BASE}/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ grant_type: "authorization_code" }) });
    await expectError(res, 400, "invalid_request");
  });

  it("answers invalid_request for a repeated parameter", async () => {
    const res = await exports.default.fetch(`${BASE}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=authorization_code&code=a&code=b",
    });
    await expectError(res, 400, "invalid_request", "parameter code is repeated");
  });

  it("answers invalid_request when code_verifier is missing", async () => {
    const client = await registerClient();
    await expectError(await tokenRequest({ grant_type: "authorization_code", code: "abc", client_id: client.client_id }), 400, "invalid_request", "missing parameter code_verifier");
  });

  it("answers invalid_request when code is missing", async () => {
    const client = await registerClient();
    await expectError(await tokenRequest({ grant_type: "authorization_code", code_verifier: "v".repeat(43), client_id: client.client_id }), 400, "invalid_request", "missing parameter code");
  });

  it("stops reading a body streamed without Content-Length at the first byte past 16 KiB, answering 413", async () => {
    let sent = 0;
    let cancelled = false;
    // A chunked body of 1 MiB, pulled 1 KiB at a time: it is read only as far as the limit, never buffered whole.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1024;
        controller.enqueue(new Uint8Array(1024).fill(0x78));
        if (sent >= 1024 * 1024) controller.close();
      },
      cancel() {
        cancelled = true;
      },
    });
    const request = new Request(`${BASE}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
    expect(request.headers.get("Content-Length")).toBeNull();
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, env, ctx);
    await waitOnExecutionContext(ctx);
    await expectError(res, 413, "invalid_request", "request body too large");
    expect(sent).toBeLessThanOrEqual(18 * 1024);
    expect(cancelled).toBe(true);
  });

  it("answers unauthorized_client when the client may not use the grant type", async () => {
    await clientInsert(env.DB, {
      clientId: "no-code-grant",
      kind: "static",
      clientName: "Refresh only",
      redirectUris: [REDIRECT_URI],
      grantTypes: ["refresh_token"],
      tokenEndpointAuthMethod: "none",
      applicationType: "native",
      metadata: {},
      createdAt: 0,
    }).run();
    await expectError(await tokenRequest({ grant_type: "authorization_code", code: "x", code_verifier: "v".repeat(43), client_id: "no-code-grant" }), 400, "unauthorized_client");
  });
});
