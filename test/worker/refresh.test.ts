// POST /token with grant_type=refresh_token: one winner per token, the replay window, reuse ⇒ revocation, client
// binding, scope narrowing, idle and absolute expiry — on the real Grant Durable Object.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { grantOf, MCP_RESOURCE, mcpStatus, obtainCode, REDIRECT_URI, registerClient, signIn, type TestClient, tokenRequest } from "./helpers/oauth";

interface Tokens {
  access_token: string;
  refresh_token?: string;
  scope: string;
  expires_in: number;
  token_type: string;
}

function refresh(client: TestClient, token: string, extra: Record<string, string> = {}): Promise<Response> {
  return tokenRequest({ grant_type: "refresh_token", refresh_token: token, client_id: client.client_id, ...extra });
}

async function expectError(res: Response, error: string): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  expect(((await res.json()) as { error: string }).error).toBe(error);
}

/** Moves every rotation of the grant's refresh family `ms` into the past. */
async function ageRotations(token: string, ms: number): Promise<void> {
  await runInDurableObject(grantOf(token), (_i, state) => {
    state.storage.sql.exec("UPDATE refresh_tokens SET rotated_at = rotated_at - ? WHERE rotated_at IS NOT NULL", ms);
  });
}

async function familySize(token: string): Promise<{ total: number; current: number }> {
  return runInDurableObject(grantOf(token), (_i, state) => {
    const rows = state.storage.sql.exec<{ rotated_at: number | null }>("SELECT rotated_at FROM refresh_tokens").toArray();
    return { total: rows.length, current: rows.filter((r) => r.rotated_at === null).length };
  });
}

describe("refresh tokens at code redemption", () => {
  it("issues a prefixed refresh token carrying the grant id to a client registered for refresh_token", async () => {
    const { tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    expect(tokens.refresh_token).toMatch(/^gh1r_[0-9a-f]{64}\.[A-Za-z0-9_-]{43}$/);
    expect(tokens.scope).toBe("mcp");
  });

  it("issues one even without offline_access, as MCP clients rarely ask for it", async () => {
    const { tokens } = await signIn({ params: { scope: "mcp" } });
    expect(tokens.refresh_token).toMatch(/^gh1r_/);
  });

  it("stores only the hash of the refresh token", async () => {
    const { tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const secret = (tokens.refresh_token ?? "").split(".")[1] ?? "";
    const dump = await runInDurableObject(grantOf(tokens.refresh_token ?? ""), (_i, state) =>
      JSON.stringify([state.storage.sql.exec("SELECT * FROM refresh_tokens").toArray(), state.storage.sql.exec("SELECT * FROM grant_state").toArray()]),
    );
    expect(dump).not.toContain(secret);
  });
});

describe("POST /token: rotating a refresh token", () => {
  it("rotates: a new refresh token and a working access token, the old one becomes previous", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const res = await refresh(client, tokens.refresh_token ?? "");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const next = (await res.json()) as Tokens;
    expect(next).toEqual({ access_token: expect.stringMatching(/^ey/), token_type: "Bearer", expires_in: 3600, scope: "mcp", refresh_token: expect.stringMatching(/^gh1r_/) });
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(await mcpStatus(next.access_token)).toBe(200);
    expect(await familySize(tokens.refresh_token ?? "")).toEqual({ total: 2, current: 1 });
  });

  it("answers all of 50 concurrent refreshes of one token with the identical successor, and only one successor exists", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const responses = await Promise.all(Array.from({ length: 50 }, () => refresh(client, tokens.refresh_token ?? "")));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Tokens[];
    const successors = new Set(bodies.map((b) => b.refresh_token));
    expect(successors.size).toBe(1);
    expect(await familySize(tokens.refresh_token ?? "")).toEqual({ total: 2, current: 1 });
    const [successor] = [...successors];
    const onward = await refresh(client, successor ?? "");
    expect(onward.status).toBe(200);
  });

  it("records every one of 50 concurrent refreshes by the time the last is answered", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const grantId = grantOf(tokens.refresh_token ?? "").id.toString();
    const responses = await Promise.all(Array.from({ length: 50 }, () => refresh(client, tokens.refresh_token ?? "")));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    // Each request's events went with those of the requests finishing with it; the last one under way took what waited.
    const types = await env.DB.prepare("SELECT type, COUNT(*) AS n FROM events WHERE grant_id = ? AND type IN ('refresh_token.rotated', 'refresh_token.replayed', 'access_token.issued') GROUP BY type ORDER BY type")
      .bind(grantId)
      .all<{ type: string; n: number }>();
    expect(types.results).toEqual([
      { type: "access_token.issued", n: 51 },
      { type: "refresh_token.replayed", n: 49 },
      { type: "refresh_token.rotated", n: 1 },
    ]);
  });

  it("returns the same successor when the previous token is retried within the window after a lost response", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const first = (await (await refresh(client, tokens.refresh_token ?? "")).json()) as Tokens;
    await ageRotations(tokens.refresh_token ?? "", 20_000);
    const retry = await refresh(client, tokens.refresh_token ?? "");
    expect(retry.status).toBe(200);
    const again = (await retry.json()) as Tokens;
    expect(again.refresh_token).toBe(first.refresh_token);
    expect(await mcpStatus(again.access_token)).toBe(200);
    expect(await grantOf(tokens.refresh_token ?? "").checkLive()).toBe(true);
  });

  it("revokes the whole grant when the previous token is presented after the window", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const first = (await (await refresh(client, tokens.refresh_token ?? "")).json()) as Tokens;
    await ageRotations(tokens.refresh_token ?? "", 31_000);
    await expectError(await refresh(client, tokens.refresh_token ?? ""), "invalid_grant");
    expect(await grantOf(tokens.refresh_token ?? "").checkLive()).toBe(false);
    await expectError(await refresh(client, first.refresh_token ?? ""), "invalid_grant");
    expect(await mcpStatus(first.access_token)).toBe(401);
  });

  it("revokes the grant when the previous token is replayed after its successor was used, even within the window", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const first = (await (await refresh(client, tokens.refresh_token ?? "")).json()) as Tokens;
    const second = (await (await refresh(client, first.refresh_token ?? "")).json()) as Tokens;
    await expectError(await refresh(client, tokens.refresh_token ?? ""), "invalid_grant");
    await expectError(await refresh(client, second.refresh_token ?? ""), "invalid_grant");
    const events = await env.DB.prepare("SELECT type FROM events WHERE grant_id = ? ORDER BY id").bind(grantOf(tokens.refresh_token ?? "").id.toString()).all<{ type: string }>();
    expect(events.results.map((e) => e.type)).toEqual(expect.arrayContaining(["refresh_token.issued", "refresh_token.rotated", "refresh_token.reused", "grant.revoked"]));
  });

  it("refuses another client presenting the token with invalid_grant, and leaves the grant intact", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const other = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
    await expectError(await refresh(other, tokens.refresh_token ?? ""), "invalid_grant");
    expect(await grantOf(tokens.refresh_token ?? "").checkLive()).toBe(true);
    expect((await refresh(client, tokens.refresh_token ?? "")).status).toBe(200);
  });

  it("is strict with REFRESH_REPLAY_WINDOW=0: any second presentation revokes", async () => {
    const { tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const handle = (tokens.refresh_token ?? "").split(".")[1] ?? "";
    const stub = grantOf(tokens.refresh_token ?? "");
    const clientId = await runInDurableObject(stub, (_i, state) => (JSON.parse(state.storage.sql.exec<{ request: string }>("SELECT request FROM grant_state").one().request) as { clientId: string }).clientId);
    const first = await stub.rotateRefresh(handle, { clientId, replayWindowSeconds: 0, refreshIdleTtlSeconds: 30 * 86_400 });
    expect(first.ok).toBe(true);
    const second = await stub.rotateRefresh(handle, { clientId, replayWindowSeconds: 0, refreshIdleTtlSeconds: 30 * 86_400 });
    expect(second).toMatchObject({ ok: false, error: "refresh_reused", revoked: true });
  });

  it("narrows the scope of the access token when asked, and refuses a wider scope without rotating", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    await expectError(await refresh(client, tokens.refresh_token ?? "", { scope: "mcp admin" }), "invalid_scope");
    expect(await familySize(tokens.refresh_token ?? "")).toEqual({ total: 1, current: 1 });
    const narrowed = await refresh(client, tokens.refresh_token ?? "", { scope: "offline_access" });
    expect(narrowed.status).toBe(200);
    const body = (await narrowed.json()) as Tokens;
    expect(body.scope).toBe("");
    const full = (await (await refresh(client, body.refresh_token ?? "", { scope: "mcp" })).json()) as Tokens;
    expect(full.scope).toBe("mcp");
  });

  it("refuses a scope the grant never had (offline_access not granted) with invalid_scope", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp" } });
    await expectError(await refresh(client, tokens.refresh_token ?? "", { scope: "mcp offline_access" }), "invalid_scope");
  });

  // invalid_grant, not invalid_target: MCP SDK clients restart sign-in on the one and throw on the other (issue 19).
  it("refuses another resource with invalid_grant without rotating", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    await expectError(await refresh(client, tokens.refresh_token ?? "", { resource: "https://elsewhere.example/mcp" }), "invalid_grant");
    expect((await refresh(client, tokens.refresh_token ?? "", { resource: MCP_RESOURCE })).status).toBe(200);
  });

  it("refuses garbage, a code handle and a token with a wrong secret with invalid_grant, changing nothing", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const [prefix] = (tokens.refresh_token ?? "").split(".");
    await expectError(await refresh(client, "not-a-token"), "invalid_grant");
    await expectError(await refresh(client, `${prefix}.${"A".repeat(43)}`), "invalid_grant");
    await expectError(await refresh(client, (tokens.refresh_token ?? "").replace("gh1r_", "gh1c_")), "invalid_grant");
    expect(await grantOf(tokens.refresh_token ?? "").checkLive()).toBe(true);
    expect((await refresh(client, tokens.refresh_token ?? "")).status).toBe(200);
  });

  // A self-registered client with authorization_code is served refresh_token too (src/policy/client-rules.ts), so
  // another client's token is refused by the grant, as any client's would be.
  it("refuses another client's refresh token presented by a client registered without refresh_token with invalid_grant", async () => {
    const { tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const plain = await registerClient();
    await expectError(await refresh(plain, tokens.refresh_token ?? ""), "invalid_grant");
  });
});

describe("refresh family lifetimes", () => {
  it("extends the idle expiry on rotation but never past the absolute expiry", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const stub = grantOf(tokens.refresh_token ?? "");
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE grant_state SET max_expires_at = ? WHERE singleton = 1", Date.now() + 3_600_000);
    });
    const res = await refresh(client, tokens.refresh_token ?? "");
    expect(res.status).toBe(200);
    const row = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ expires_at: number; max_expires_at: number }>("SELECT expires_at, max_expires_at FROM grant_state").one());
    expect(row.expires_at).toBe(row.max_expires_at);
  });

  it("refuses a refresh once the grant is idle past REFRESH_IDLE_TTL, and the alarm deletes it", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const stub = grantOf(tokens.refresh_token ?? "");
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE grant_state SET idle_expires_at = ?, expires_at = ? WHERE singleton = 1", Date.now() - 1, Date.now() - 1);
    });
    await expectError(await refresh(client, tokens.refresh_token ?? ""), "invalid_grant");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expectError(await refresh(client, tokens.refresh_token ?? ""), "invalid_grant");
    const tables = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().length);
    expect(tables).toBe(0);
  });

  it("refuses a refresh past the absolute REFRESH_MAX_TTL even when recently used", async () => {
    const { client, tokens } = await signIn({ params: { scope: "mcp offline_access" } });
    const stub = grantOf(tokens.refresh_token ?? "");
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE grant_state SET max_expires_at = ?, expires_at = ? WHERE singleton = 1", Date.now() - 1, Date.now() - 1);
    });
    await expectError(await refresh(client, tokens.refresh_token ?? ""), "invalid_grant");
  });
});
